"""An Adobe Analytics data feed end to end: `canton import --format adobe-feed` ->
`canton process` -> `canton report`.

tests/data/adobe-feed holds a small feed: hit_data.tsv (no header), column_headers.tsv
and event.tsv beside it (found there without --lookup-dir). Its post_event_list carries
the success events: prodView, scAdd + scOpen, scCheckout + scView, two purchases (one with
event1 and event2=2.5, one with an instance of eVar5 and a ClickMap id, which are no success
events), a custom link with event1 and event2=4 (its event_list also has event3, which Adobe's
processing removed: post_event_list wins). A row with exclude_hit 1 is skipped; a row with
"1,abc" and one with id 7 (not in event.tsv) are bad lines (bad-events). The report must give
exactly the figures worked out by hand from the file: 7 hits, 6 page views, 2 visits,
2 orders, revenue 46.00 (25.00 + 10.50 + 10.50 from product_list), 4 units, 1 product view,
1 cart add, 1 checkout, event1 2, event2 6.5, event3 0. Without event.tsv the same feed
gives the same figures (Adobe's fixed numbering) and id 7 is left out, not a bad line.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import canton_test  # noqa: E402

BIN = canton_test.BIN
SRC = os.environ.get("CANTON_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
FEED = os.path.join(SRC, "tests", "data", "adobe-feed")
CONF = """[server]
data = %s
[suite demo]
currency = CNY
timezone = UTC
"""
METRICS = ("hits,pageviews,visits,orders,revenue,units,product_views,cart_adds,checkouts,"
           "event1,event2,event3")
WANT = [7, 6, 2, 2, 46, 4, 1, 1, 1, 2, 6.5, 0]


def run(*args, want=0):
    r = subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    if r.returncode != want:
        raise AssertionError("canton %s: exit %d (want %d)\n%s" % (" ".join(args), r.returncode,
                                                                   want, r.stderr.decode()))
    return r.stdout.decode(), r.stderr.decode()


def import_and_report(tmp, name, feed_dir):
    data = os.path.join(tmp, name)
    conf = os.path.join(tmp, name + ".conf")
    with open(conf, "w") as f:
        f.write(CONF % data)
    out, err = run("import", "--config", conf, "--suite", "demo", "--data", data,
                   "--format", "adobe-feed", "--summary", "json",
                   os.path.join(feed_dir, "hit_data.tsv"))
    s = json.loads(out)
    run("process", "--config", conf, "--data", data, "--until-end")
    bad, _ = run("bad-rows", "--data", data)
    assert "0 in the log" in bad, bad
    out, _ = run("report", "--config", conf, "--data", data, "--suite", "demo",
                 "--metrics", METRICS, "--from", "2025-03-01", "--to", "2025-03-31",
                 "--format", "json")
    return s, err, json.loads(out)["totals"]["values"]


def main():
    tmp = tempfile.mkdtemp(prefix="canton-import-adobe-")
    try:
        s, err, got = import_and_report(tmp, "data", FEED)
        assert (s["lines"], s["hits"], s["skipped"], s["bad_lines"]) == (10, 7, 1, 2), s
        assert s["bad_by_reason"] == {"bad-events": 2}, s
        # the bad entries are named by line and column: "abc" and the id 7
        assert "hit_data.tsv:9: bad-events at column 197:" in err, err
        assert "hit_data.tsv:10: bad-events at column 191:" in err, err
        print("report:", dict(zip(METRICS.split(","), got)))
        assert got == WANT, (got, WANT)

        # without event.tsv: Adobe's fixed numbering; id 7 (no success event) is left out
        bare = os.path.join(tmp, "feed")
        os.mkdir(bare)
        for f in ("hit_data.tsv", "column_headers.tsv"):
            shutil.copy(os.path.join(FEED, f), bare)
        s, err, got = import_and_report(tmp, "data2", bare)
        assert (s["hits"], s["bad_lines"]) == (8, 1), s
        assert "hit_data.tsv:9: bad-events at column 197:" in err, err
        want = list(WANT)
        want[0] += 1  # the row with id 7 is a page view of its own
        want[1] += 1
        assert got == want, (got, want)
        print("ok")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
