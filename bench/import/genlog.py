#!/usr/bin/env python3
"""Deterministic nginx "combined" access log of an e-commerce site, for bench/import/run
and the import tests: ~50k visitor IPs (some IPv6), ~200 user agents (bots among them),
~5k URLs, 30% static assets, campaign parameters, 30 days, some 3xx/4xx/5xx.

Usage: genlog.py LINES [SEED] > access.log   (same LINES and SEED give the same bytes)
"""
import random
import sys
import time


def main():
    n = int(sys.argv[1])
    rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 7)
    ips = []
    for i in range(50000):
        if i % 25 == 0:
            ips.append("2001:db8:%x::%x" % (rnd.randrange(65536), rnd.randrange(1, 65536)))
        else:
            ips.append("%d.%d.%d.%d" % (rnd.randrange(1, 224), rnd.randrange(256),
                                        rnd.randrange(256), rnd.randrange(1, 255)))
    browsers = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/%d.0.%d.%d Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_%d) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.%d Safari/605.1.%d",
        "Mozilla/5.0 (X11; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%d.%d",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_%d like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Version/17.%d Mobile/15E148 Safari/604.%d",
        "Mozilla/5.0 (Linux; Android 14; Pixel %d) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/%d.0.%d.0 Mobile Safari/537.36",
    ]
    uas = []
    for i in range(185):
        t = browsers[i % len(browsers)]
        uas.append(t % (rnd.randrange(90, 125), rnd.randrange(1, 9999), rnd.randrange(1, 200)))
    bots = ["Googlebot/2.1 (+http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
            "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
            "curl/7.88.1", "python-requests/2.31.0", "Wget/1.21.3",
            "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
            "facebookexternalhit/1.1", "Mozilla/5.0 (compatible; DotBot/1.2)",
            "Slackbot-LinkExpanding 1.0", "Twitterbot/1.0", "DuckDuckBot/1.1",
            "Applebot/0.1", "Mozilla/5.0 (compatible; MJ12bot/v1.4.8)"]
    uas += bots
    pages = ["/", "/cart", "/checkout", "/checkout/done", "/search", "/account", "/about"]
    for c in range(60):
        pages.append("/c/category-%d" % c)
    while len(pages) < 3500:
        pages.append("/p/product-%d" % len(pages))
    statics = []
    for i in range(1500):
        ext = ("css", "js", "png", "jpg", "webp", "svg", "woff2", "ico")[i % 8]
        statics.append("/static/%s/asset-%d.%s" % (ext, i, ext))
    campaigns = ["", "", "", "", "?utm_source=google&utm_medium=cpc&utm_campaign=winter-sale",
                 "?utm_source=newsletter&utm_medium=email&utm_campaign=w%d",
                 "?gclid=Cj0KCQ%d", "?utm_source=facebook&utm_medium=social",
                 "?q=red+mug&page=%d"]
    refs = ["-", "-", "https://www.google.com/", "https://www.bing.com/search?q=mug",
            "https://shop.example/", "https://shop.example/c/category-3",
            "https://t.co/abc", "https://news.ycombinator.com/"]
    statuses = [200] * 90 + [304] * 4 + [301, 302, 404, 404, 500, 503]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    start = 1730419200  # 2024-11-01T00:00:00Z
    span = 30 * 86400
    out = sys.stdout
    buf = []
    # Visitors: each line picks a visitor (ip, ua) from a skewed pool
    visitors = [(rnd.randrange(len(ips)), rnd.randrange(len(uas))) for _ in range(60000)]
    ts_cache = {}
    for i in range(n):
        t = start + (i * span) // n
        s = ts_cache.get(t)
        if s is None:
            tm = time.gmtime(t)
            s = "%02d/%s/%d:%02d:%02d:%02d +0000" % (tm.tm_mday, months[tm.tm_mon - 1], tm.tm_year,
                                                      tm.tm_hour, tm.tm_min, tm.tm_sec)
            ts_cache = {t: s}
        ip_i, ua_i = visitors[int(rnd.random() ** 2 * len(visitors))]
        if rnd.random() < 0.30:
            url = statics[rnd.randrange(len(statics))]
            ref = "https://shop.example/"
        else:
            url = pages[int(rnd.random() ** 1.5 * len(pages))]
            c = campaigns[rnd.randrange(len(campaigns))]
            if "%d" in c:
                c = c % rnd.randrange(1000)
            url += c
            ref = refs[rnd.randrange(len(refs))]
        st = statuses[rnd.randrange(len(statuses))]
        size = 0 if st == 304 else rnd.randrange(200, 90000)
        method = "POST" if url.startswith("/checkout") and rnd.random() < 0.3 else "GET"
        buf.append('%s - - [%s] "%s %s HTTP/1.1" %d %d "%s" "%s"\n'
                   % (ips[ip_i], s, method, url, st, size, ref, uas[ua_i]))
        if len(buf) >= 20000:
            out.write("".join(buf))
            buf = []
    out.write("".join(buf))


if __name__ == "__main__":
    main()
