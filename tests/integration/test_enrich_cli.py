"""Integration test of enrichment through the real binary: `canton enrich`
with the pinned data sets (node_modules, Debian's referers.yml) and a
configuration whose suite sets domains, channel_rules, campaign_params and
referer_list. Checks exact values. Python 3 stdlib only."""
import json
import os
import subprocess
import sys
import tempfile

BIN = os.environ.get("CANTON_BIN", "canton")
SRC = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
failures = []
passes = []


def enrich(*args, config=None, expect_rc=0):
    cmd = [BIN, "enrich"] + (["--config", config] if config else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode != expect_rc:
        raise AssertionError(f"{cmd}: exit {p.returncode}, stderr: {p.stderr}")
    return json.loads(p.stdout) if expect_rc == 0 else p


def check(name, got, want):
    if got != want:
        failures.append(f"{name}: got {got!r}, want {want!r}")
        print(f"not ok - {name}: got {got!r}, want {want!r}")
    else:
        passes.append(name)
        print(f"ok - {name}")


def main():
    iphone = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
              "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1")
    r = enrich("--ua", iphone, "--ip", "81.2.69.160")
    check("iphone ua", r["ua"], {
        "browser": "Mobile Safari", "browser_version": "17", "os": "iOS", "os_version": "17",
        "device": "iPhone", "brand": "Apple", "model": "iPhone", "device_type": "mobile",
        "bot": "", "is_bot": False})
    check("london geo", r["geo"], {"country": "GB", "region": "England", "city": "London",
                                   "ip_anonymized": "81.2.69.0"})
    r = enrich("--ua", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)")
    check("bingbot", (r["ua"]["is_bot"], r["ua"]["bot"], r["ua"]["device_type"]),
          (True, "search-engine", "bot"))
    r = enrich("--ip", "2001:db8:abcd:1234::1")
    check("ipv6 anonymized", r["geo"]["ip_anonymized"], "2001:db8:abcd::")
    p = enrich("--ip", "not-an-ip", expect_rc=2)
    check("bad ip message", "not an IP address" in p.stderr, True)

    r = enrich("--referrer", "https://www.google.com/search?q=red+shoes",
               "--landing", "https://shop.example/?utm_campaign=spring")
    check("google organic", (r["referrer"]["type"], r["referrer"]["source"],
                             r["referrer"]["terms"], r["campaign"]["campaign"], r["channel"]),
          ("search", "Google", "red shoes", "spring", "Natural Search"))
    r = enrich("--referrer", "https://www.google.com/", "--landing", "https://shop.example/?gclid=1")
    check("google paid", (r["referrer"]["type"], r["campaign"]["click_id"], r["channel"]),
          ("paid", "gclid", "Paid Search"))
    r = enrich("--landing", "https://shop.example/", "--v0", "adobe_spring")
    check("adobe v0 campaign", (r["campaign"]["campaign"], r["channel"]),
          ("adobe_spring", "Other Campaigns"))
    r = enrich("--referrer", "https://chatgpt.com/", "--landing", "https://shop.example/")
    check("chatgpt", (r["referrer"]["medium"], r["channel"]), ("ai", "AI Assistants"))

    with tempfile.TemporaryDirectory() as d:
        rules = os.path.join(d, "channels.conf")
        with open(rules, "w") as f:
            f.write("# test rules\nPartners: ref_source=Partner Network\n"
                    "Search: ref_type=search\nRest: campaign? | campaign!\n")
        refs = os.path.join(SRC, "tests", "data", "enrich", "referers-suite.yml")
        conf = os.path.join(d, "canton.conf")
        with open(conf, "w") as f:
            f.write(f"[suite shop]\ndomains = shop.example\nchannel_rules = {rules}\n"
                    f"campaign_params = cmp\nreferer_list = {refs}\n")
        r = enrich("--suite", "shop", "--referrer", "https://a.partners.example/",
                   "--landing", "https://shop.example/?cmp=c1&utm_campaign=u", config=conf)
        check("suite rules", (r["referrer"]["type"], r["campaign"]["campaign"], r["channel"]),
              ("social", "c1", "Partners"))
        r = enrich("--suite", "shop", "--referrer", "https://www.shop.example/cart", config=conf)
        check("suite internal", (r["referrer"]["type"], r["channel"]), ("internal", "Rest"))
        p = enrich("--suite", "nope", "--referrer", "https://x.example/", config=conf, expect_rc=2)
        check("unknown suite", "no suite" in p.stderr, True)
        with open(rules, "w") as f:
            f.write("Broken: colour=red\n")
        p = enrich("--suite", "shop", "--referrer", "https://x.example/", config=conf, expect_rc=1)
        check("rule error names the line", "channels.conf:1:" in p.stderr, True)

    # no input at all: a usage error naming the options, not an empty object
    p = enrich(expect_rc=2)
    check("no input", (p.stdout, p.stderr.splitlines()[0]),
          ("", "canton enrich: nothing to enrich: give --ua, --ip, --referrer, --landing or --v0"))
    p = enrich("--suite", "shop", config=os.devnull, expect_rc=2)
    check("no input with a suite", "nothing to enrich" in p.stderr, True)

    p = subprocess.run([BIN, "enrich", "--help"], capture_output=True, text=True, timeout=30)
    check("help", (p.returncode, "Usage: canton enrich" in p.stdout), (0, True))
    print(f"{len(passes)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
