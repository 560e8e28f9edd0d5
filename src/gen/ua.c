/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The user agents the generator's visitors use: real desktop, mobile and
 * tablet browser strings of 2024-2026 (Chrome, Safari, Firefox, Edge,
 * Samsung Internet, Opera, Yandex, and the Chinese browsers and in-app
 * webviews: WeChat, QQ, UC, Huawei, Xiaomi, 360), each with the device
 * class, the regions where it is common and a popularity weight; then the
 * crawlers, with the address block each crawls from. Every crawler string
 * here matches a pattern of npm crawler-user-agents and no browser string
 * does (tests/unit/gen/test_ua.c).
 */
#include "gen/internal.h"

const gen_ua_t cn_gen__uas[] = {
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/125.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/127.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/128.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/129.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/130.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 3, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 3, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/132.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 3, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/133.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 4, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/134.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 4, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/135.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 4, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/136.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 5, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/137.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 5, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/138.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 5, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/139.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 6, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/140.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 6, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/141.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 6, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/142.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 7, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/129.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/130.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/132.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/133.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/134.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/135.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 3, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/136.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 3, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/137.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 3, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/138.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 4, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/139.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 4, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/140.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 4, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/141.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 5, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/142.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA | GEN_REG_RUSSIAN, 5, NULL, NULL},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/136.0.0.0 "
     "Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 "
     "Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 "
     "Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 "
     "Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 "
     "Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 "
     "Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/138.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/140.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/141.0.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.112",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/133.0.0.0 Safari/537.36 Edg/133.0.3065.92",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/135.0.0.0 Safari/537.36 Edg/135.0.3179.98",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/136.0.0.0 Safari/537.36 Edg/136.0.3240.76",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/137.0.0.0 Safari/537.36 Edg/137.0.3296.93",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/138.0.0.0 Safari/537.36 Edg/138.0.3351.95",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/139.0.0.0 Safari/537.36 Edg/139.0.3405.125",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/140.0.0.0 Safari/537.36 Edg/140.0.3485.94",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/141.0.0.0 Safari/537.36 Edg/141.0.3537.99",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/142.0.0.0 Safari/537.36 Edg/142.0.3595.53",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/140.0.0.0 Safari/537.36 Edg/140.0.3485.94",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/141.0.0.0 Safari/537.36 Edg/141.0.3537.99",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/142.0.0.0 Safari/537.36 Edg/142.0.3595.53",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:135.0) Gecko/20100101 Firefox/135.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:136.0) Gecko/20100101 Firefox/136.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:137.0) Gecko/20100101 Firefox/137.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:138.0) Gecko/20100101 Firefox/138.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:139.0) Gecko/20100101 Firefox/139.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:141.0) Gecko/20100101 Firefox/141.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:142.0) Gecko/20100101 Firefox/142.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:143.0) Gecko/20100101 Firefox/143.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:144.0) Gecko/20100101 Firefox/144.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:145.0) Gecko/20100101 Firefox/145.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:138.0) Gecko/20100101 Firefox/138.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:140.0) Gecko/20100101 Firefox/140.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:142.0) Gecko/20100101 Firefox/142.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:143.0) Gecko/20100101 Firefox/143.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:144.0) Gecko/20100101 Firefox/144.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:145.0) Gecko/20100101 Firefox/145.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:142.0) Gecko/20100101 Firefox/142.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:143.0) Gecko/20100101 Firefox/143.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:144.0) Gecko/20100101 Firefox/144.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", GEN_DEV_DESKTOP,
     GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", GEN_DEV_DESKTOP,
     GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.4.1 Safari/605.1.15",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Safari/605.1.15",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.6 Safari/605.1.15",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.0.1 Safari/605.1.15",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.1.1 Safari/605.1.15",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.2 Safari/605.1.15",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.3 Safari/605.1.15",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.3.1 Safari/605.1.15",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.4 Safari/605.1.15",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.5 Safari/605.1.15",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.6 Safari/605.1.15",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/26.0 Safari/605.1.15",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/26.0.1 Safari/605.1.15",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/26.1 Safari/605.1.15",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/138.0.0.0 Safari/537.36 OPR/122.0.5643.92",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/140.0.0.0 Safari/537.36 OPR/123.0.5669.47",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/141.0.0.0 Safari/537.36 OPR/124.0.5705.42",
     GEN_DEV_DESKTOP, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/136.0.0.0 YaBrowser/25.6.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_RUSSIAN, 3, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/138.0.0.0 YaBrowser/25.8.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_RUSSIAN, 3, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/140.0.0.0 YaBrowser/25.10.0.0 Safari/537.36",
     GEN_DEV_DESKTOP, GEN_REG_RUSSIAN, 3, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/123.0.0.0 Safari/537.36 Core/1.116.475.400 QQBrowser/13.1.6091.400",
     GEN_DEV_DESKTOP, GEN_REG_CHINA, 3, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/108.0.5359.125 Safari/537.36 QIHU 360SE",
     GEN_DEV_DESKTOP, GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/116.0.0.0 Safari/537.36 SE 2.X MetaSr 1.0",
     GEN_DEV_DESKTOP, GEN_REG_CHINA, 1, NULL, NULL},
    {"Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/81.0.4044.138 Safari/537.36 NetType/WIFI MicroMessenger/7.0.20.1781(0x6700143B) "
     "WindowsWechat(0x63090c33) XWEB/13487 Flue",
     GEN_DEV_DESKTOP, GEN_REG_CHINA, 3, NULL, NULL},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "MicroMessenger/6.8.0(0x16080000) MacWechat/3.8.10(0x13080a10) XWEB/1227 Flue",
     GEN_DEV_DESKTOP, GEN_REG_CHINA, 1, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_CHINA, 4, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_CHINA, 4, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_CHINA, 4, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_0_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/18.0.1 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_CHINA, 4, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/18.1.1 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_CHINA, 4, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/18.2 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_CHINA, 4, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_3_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/18.3.1 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_CHINA, 4, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/18.4 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_CHINA, 4, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_CHINA, 4, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_6_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/18.6 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_CHINA, 4, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/18.7 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_CHINA, 4, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 26_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/26.0 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_CHINA, 4, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 26_0_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/26.0.1 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_CHINA, 4, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 26_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/26.1 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_CHINA, 4, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) CriOS/137.0.7151.120 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) CriOS/139.0.7258.155 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_6_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) CriOS/140.0.7339.208 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 26_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) CriOS/141.0.7390.123 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 26_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) CriOS/142.0.7444.176 Mobile/15E148 Safari/604.1",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800322c) NetType/WIFI Language/zh_CN",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 6, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Mobile/15E148 MicroMessenger/8.0.51(0x18003324) NetType/WIFI Language/zh_CN",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 6, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Mobile/15E148 MicroMessenger/8.0.53(0x18003531) NetType/WIFI Language/zh_CN",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 6, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_3_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Mobile/15E148 MicroMessenger/8.0.56(0x1800383b) NetType/WIFI Language/zh_CN",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 6, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Mobile/15E148 MicroMessenger/8.0.60(0x18003c31) NetType/WIFI Language/zh_CN",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 6, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_6_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Mobile/15E148 MicroMessenger/8.0.62(0x18003e2f) NetType/WIFI Language/zh_CN",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 6, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 26_0_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Mobile/15E148 MicroMessenger/8.0.64(0x18004034) NetType/WIFI Language/zh_CN",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 6, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 26_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Mobile/15E148 MicroMessenger/8.0.65(0x1800412b) NetType/WIFI Language/zh_CN",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 6, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Mobile/15E148 QQ/9.1.80.637 V1_IPH_SQ_9.1.80_1_APP_A Pixel/1179 MiniAppEnable "
     "SimpleUISwitch/0 StudyMode/0 CurrentMode/0 CurrentFontScale/1.000000 QQTheme/1000 "
     "AppId/537290447 Core/WKWebView Device/Apple(iPhone 15) NetType/WIFI QBWebViewType/1 WKType/1",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 1, NULL, NULL},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 26_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Mobile/15E148 QQ/9.1.80.637 V1_IPH_SQ_9.1.80_1_APP_A Pixel/1179 MiniAppEnable "
     "SimpleUISwitch/0 StudyMode/0 CurrentMode/0 CurrentFontScale/1.000000 QQTheme/1000 "
     "AppId/537290447 Core/WKWebView Device/Apple(iPhone 15) NetType/WIFI QBWebViewType/1 WKType/1",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 "
     "Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 "
     "Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 "
     "Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 3, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 "
     "Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 3, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/136.0.0.0 "
     "Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 3, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 "
     "Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 4, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 "
     "Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 4, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 "
     "Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 4, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 "
     "Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 5, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 "
     "Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 5, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 "
     "Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 5, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/135.0.7049.115 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/137.0.7151.120 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 15; SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/140.0.7339.208 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/141.0.7390.123 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 16; Pixel 9 Pro) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/142.0.7444.176 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 13; 2201117TG) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/138.0.7204.184 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 14; moto g54 5G) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/139.0.7258.155 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-A556B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 15; SAMSUNG SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 15; SAMSUNG SM-S931B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/29.0 Chrome/136.0.0.0 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 15; SAMSUNG SM-A366B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/29.0 Chrome/136.0.0.0 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 14; V2309A Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Version/4.0 Chrome/130.0.6723.103 Mobile Safari/537.36 XWEB/1300333 "
     "MMWEBSDK/20241103 MMWEBID/6533 MicroMessenger/8.0.55.2780(0x28003737) WeChat/arm64 Weixin "
     "NetType/WIFI Language/zh_CN ABI/arm64",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 6, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 14; 23127PN0CC Build/UKQ1.230804.001; wv) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Version/4.0 Chrome/132.0.6834.163 Mobile Safari/537.36 XWEB/1300333 "
     "MMWEBSDK/20241103 MMWEBID/6533 MicroMessenger/8.0.56.2800(0x2800385B) WeChat/arm64 Weixin "
     "NetType/WIFI Language/zh_CN ABI/arm64",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 6, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 12; NOH-AN00 Build/HUAWEINOH-AN00; wv) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.188 Mobile Safari/537.36 XWEB/1300333 "
     "MMWEBSDK/20241103 MMWEBID/6533 MicroMessenger/8.0.54.2760(0x28003653) WeChat/arm64 Weixin "
     "NetType/WIFI Language/zh_CN ABI/arm64",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 6, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 14; PHY110 Build/UKQ1.230924.001; wv) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Version/4.0 Chrome/130.0.6723.103 Mobile Safari/537.36 XWEB/1300333 "
     "MMWEBSDK/20241103 MMWEBID/6533 MicroMessenger/8.0.55.2780(0x28003737) WeChat/arm64 Weixin "
     "NetType/WIFI Language/zh_CN ABI/arm64",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 6, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 12; ALN-AL00 Build/HUAWEIALN-AL00; wv) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Version/4.0 Chrome/128.0.6613.146 Mobile Safari/537.36 XWEB/1300333 "
     "MMWEBSDK/20241103 MMWEBID/6533 MicroMessenger/8.0.58.2840(0x28003A3B) WeChat/arm64 Weixin "
     "NetType/WIFI Language/zh_CN ABI/arm64",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 6, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 15; 24031PN0DC Build/AQ3A.240829.003; wv) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Version/4.0 Chrome/134.0.6998.136 Mobile Safari/537.36 XWEB/1300333 "
     "MMWEBSDK/20241103 MMWEBID/6533 MicroMessenger/8.0.60.2860(0x28003C31) WeChat/arm64 Weixin "
     "NetType/WIFI Language/zh_CN ABI/arm64",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 6, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 15; PJZ110 Build/AQ3A.240912.001; wv) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Version/4.0 Chrome/136.0.7103.125 Mobile Safari/537.36 XWEB/1300333 "
     "MMWEBSDK/20241103 MMWEBID/6533 MicroMessenger/8.0.62.2900(0x28003E3B) WeChat/arm64 Weixin "
     "NetType/WIFI Language/zh_CN ABI/arm64",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 6, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 15; V2405A Build/AP3A.240905.015.A2; wv) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Version/4.0 Chrome/138.0.7204.180 Mobile Safari/537.36 XWEB/1300333 "
     "MMWEBSDK/20241103 MMWEBID/6533 MicroMessenger/8.0.64.2940(0x28004034) WeChat/arm64 Weixin "
     "NetType/WIFI Language/zh_CN ABI/arm64",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 6, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00; HMSCore 6.14.0.302) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Chrome/114.0.5735.196 HuaweiBrowser/15.0.4.312 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 12; HarmonyOS; ALN-AL00; HMSCore 6.14.0.302) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Chrome/114.0.5735.196 HuaweiBrowser/15.0.4.312 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 12; HarmonyOS; BRA-AL00; HMSCore 6.14.0.302) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Chrome/114.0.5735.196 HuaweiBrowser/15.0.4.312 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; U; Android 13; zh-CN; 2211133C Build/TKQ1.220905.001) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.58 UCBrowser/17.2.5.1320 Mobile "
     "Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; U; Android 13; zh-CN; PGEM10 Build/TP1A.220905.001) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.58 UCBrowser/17.2.5.1320 Mobile "
     "Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; U; Android 14; zh-CN; V2254A Build/UP1A.231005.007) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.58 UCBrowser/17.2.5.1320 Mobile "
     "Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; U; Android 13; zh-cn; PGEM10 Build/TP1A.220905.001) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Version/4.0 Chrome/109.0.5414.86 MQQBrowser/15.6 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; U; Android 13; zh-cn; M2012K11AC Build/TKQ1.221114.001) "
     "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/109.0.5414.86 MQQBrowser/15.6 "
     "Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; U; Android 14; zh-cn; 23049RAD8C Build/UKQ1.230804.001) "
     "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/118.0.5993.111 Mobile "
     "Safari/537.36 XiaoMi/MiuiBrowser/18.6.70903",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; U; Android 14; zh-cn; 2304FPN6DC Build/UKQ1.230804.001) "
     "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/118.0.5993.111 Mobile "
     "Safari/537.36 XiaoMi/MiuiBrowser/18.6.70903",
     GEN_DEV_MOBILE, GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Android 14; Mobile; rv:140.0) Gecko/140.0 Firefox/140.0", GEN_DEV_MOBILE,
     GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Android 14; Mobile; rv:142.0) Gecko/142.0 Firefox/142.0", GEN_DEV_MOBILE,
     GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Android 14; Mobile; rv:143.0) Gecko/143.0 Firefox/143.0", GEN_DEV_MOBILE,
     GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Android 14; Mobile; rv:144.0) Gecko/144.0 Firefox/144.0", GEN_DEV_MOBILE,
     GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 "
     "Mobile Safari/537.36 EdgA/139.0.3405.125",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 "
     "Mobile Safari/537.36 EdgA/141.0.3537.99",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 12) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/136.0.0.0 "
     "YaBrowser/25.6.1.83 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 12) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 "
     "YaBrowser/25.10.0.91 Mobile Safari/537.36",
     GEN_DEV_MOBILE, GEN_REG_RUSSIAN, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 "
     "Mobile Safari/537.36 OPR/91.0.0.0",
     GEN_DEV_MOBILE, GEN_REG_GLOBAL | GEN_REG_RUSSIAN, 1, NULL, NULL},
    {"Mozilla/5.0 (iPad; CPU OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.6.1 Mobile/15E148 Safari/604.1",
     GEN_DEV_TABLET, GEN_REG_GLOBAL | GEN_REG_CHINA, 3, NULL, NULL},
    {"Mozilla/5.0 (iPad; CPU OS 18_3_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.3.1 Mobile/15E148 Safari/604.1",
     GEN_DEV_TABLET, GEN_REG_GLOBAL | GEN_REG_CHINA, 3, NULL, NULL},
    {"Mozilla/5.0 (iPad; CPU OS 18_6_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.6 Mobile/15E148 Safari/604.1",
     GEN_DEV_TABLET, GEN_REG_GLOBAL | GEN_REG_CHINA, 3, NULL, NULL},
    {"Mozilla/5.0 (iPad; CPU OS 26_0_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/26.0.1 Mobile/15E148 Safari/604.1",
     GEN_DEV_TABLET, GEN_REG_GLOBAL | GEN_REG_CHINA, 3, NULL, NULL},
    {"Mozilla/5.0 (iPad; CPU OS 26_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/26.1 Mobile/15E148 Safari/604.1",
     GEN_DEV_TABLET, GEN_REG_GLOBAL | GEN_REG_CHINA, 3, NULL, NULL},
    {"Mozilla/5.0 (iPad; CPU OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Mobile/15E148 MicroMessenger/8.0.60(0x18003c31) NetType/WIFI Language/zh_CN",
     GEN_DEV_TABLET, GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/138.0.0.0 Safari/537.36",
     GEN_DEV_TABLET, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 14; SM-X510) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/140.0.0.0 Safari/537.36",
     GEN_DEV_TABLET, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 15; SM-X216B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/141.0.0.0 Safari/537.36",
     GEN_DEV_TABLET, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 14; Lenovo TB370FU) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/139.0.0.0 Safari/537.36",
     GEN_DEV_TABLET, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/28.0 Chrome/130.0.0.0 Safari/537.36",
     GEN_DEV_TABLET, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 12; HarmonyOS; BAH4-W09; HMSCore 6.14.0.302) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Chrome/114.0.5735.196 HuaweiBrowser/15.0.4.312 Safari/537.36",
     GEN_DEV_TABLET, GEN_REG_CHINA, 2, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 13; 23043RP34C Build/TKQ1.221114.001) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Chrome/118.0.5993.111 Safari/537.36 XiaoMi/MiuiBrowser/18.6.70903",
     GEN_DEV_TABLET, GEN_REG_CHINA, 1, NULL, NULL},
    {"Mozilla/5.0 (Linux; Android 11; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/132.3.3 "
     "like Chrome/132.0.6834.163 Safari/537.36",
     GEN_DEV_TABLET, GEN_REG_GLOBAL, 1, NULL, NULL},
    {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", GEN_DEV_BOT, 0, 8,
     "US", "66.249.64.0/19"},
    {"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like "
     "Gecko) Chrome/141.0.7390.122 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
     "+http://www.google.com/bot.html)",
     GEN_DEV_BOT, 0, 12, "US", "66.249.64.0/19"},
    {"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; "
     "+http://www.google.com/bot.html) Chrome/141.0.7390.122 Safari/537.36",
     GEN_DEV_BOT, 0, 4, "US", "66.249.64.0/19"},
    {"Googlebot-Image/1.0", GEN_DEV_BOT, 0, 2, "US", "66.249.64.0/19"},
    {"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
     "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
     GEN_DEV_BOT, 0, 6, "US", "157.55.39.0/24"},
    {"Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
     GEN_DEV_BOT, 0, 8, "CN", "180.76.15.0/24"},
    {"Mozilla/5.0 (compatible; Baiduspider-render/2.0; +http://www.baidu.com/search/spider.html)",
     GEN_DEV_BOT, 0, 3, "CN", "220.181.108.0/24"},
    {"Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", GEN_DEV_BOT, 0, 3, "RU",
     "5.255.253.0/24"},
    {"DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)", GEN_DEV_BOT, 0, 1, "US",
     "40.77.167.0/24"},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
     GEN_DEV_BOT, 0, 2, "US", "17.58.96.0/22"},
    {"Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)", GEN_DEV_BOT, 0, 3,
     "CN", "106.120.173.0/24"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/50.0.2661.102 Safari/537.36; 360Spider",
     GEN_DEV_BOT, 0, 2, "CN", "123.125.71.0/24"},
    {"Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 "
     "(compatible; Bytespider; spider-feedback@bytedance.com)",
     GEN_DEV_BOT, 0, 4, "CN", "110.249.202.0/24"},
    {"Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile "
     "Safari/537.36 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
     GEN_DEV_BOT, 0, 3, "SG", "114.119.128.0/19"},
    {"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", GEN_DEV_BOT, 0, 4, "CA",
     "51.222.253.0/24"},
    {"Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", GEN_DEV_BOT, 0,
     3, "CY", "185.191.171.0/24"},
    {"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
     "+https://openai.com/gptbot)",
     GEN_DEV_BOT, 0, 3, "US", "20.15.133.0/24"},
    {"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; "
     "+claudebot@anthropic.com)",
     GEN_DEV_BOT, 0, 2, "US", "160.79.104.0/23"},
    {"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", GEN_DEV_BOT, 0, 2,
     "US", "173.252.127.0/24"},
    {"Twitterbot/1.0", GEN_DEV_BOT, 0, 1, "US", "199.16.156.0/22"},
};
const size_t cn_gen__ua_count = sizeof(cn_gen__uas) / sizeof(cn_gen__uas[0]);
