/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The generator's world: the countries visitors come from (weights, time
 * zones, languages, currencies and IPv4 blocks registered to each country),
 * the shop's catalogue words, search terms, referring sites and the daily
 * and weekly activity curves. All of it is fixed data written for canton;
 * the IP blocks were chosen from whole /16s that the geo-whois-asn-country
 * database (npm @ip-location-db/geo-whois-asn-country-mmdb) places in one
 * country, and tests/unit/gen/test_ip.c checks them against it.
 */
#include "gen/internal.h"

/* --- Countries --- */

const gen_country_t cn_gen__countries[] = {
    {"CN",
     36,
     GEN_REG_CHINA,
     0.72,
     "CNY",
     "zh-CN",
     "zh-CN,zh;q=0.9",
     "www.google.com.hk",
     {{480, GEN_DST_NONE, 100}},
     {"36.105.0.0/16", "59.43.0.0/16", "110.118.0.0/16", "114.196.0.0/16", "119.109.0.0/16",
      "124.228.0.0/16", "183.11.0.0/16", "221.224.0.0/16"}},
    {"US",
     14,
     GEN_REG_GLOBAL,
     0.55,
     "USD",
     "en-US",
     "en-US,en;q=0.9",
     "www.google.com",
     {{-300, GEN_DST_US, 48}, {-360, GEN_DST_US, 30}, {-480, GEN_DST_US, 22}},
     {"16.70.0.0/16", "47.197.0.0/16", "70.4.0.0/16", "97.154.0.0/16", "134.89.0.0/16",
      "150.143.0.0/16", "167.101.0.0/16", "204.192.0.0/16"}},
    {"GB",
     6,
     GEN_REG_GLOBAL,
     0.55,
     "GBP",
     "en-GB",
     "en-GB,en-US;q=0.9,en;q=0.8",
     "www.google.co.uk",
     {{0, GEN_DST_EU, 100}},
     {"31.72.0.0/16", "57.184.0.0/16", "81.178.0.0/16", "86.184.0.0/16", "107.42.0.0/16",
      "141.245.0.0/16", "158.218.0.0/16", "194.222.0.0/16"}},
    {"AU",
     5,
     GEN_REG_GLOBAL,
     0.55,
     "AUD",
     "en-AU",
     "en-AU,en;q=0.9",
     "www.google.com.au",
     {{600, GEN_DST_AU, 60}, {480, GEN_DST_NONE, 25}, {570, GEN_DST_AU, 15}},
     {"1.153.0.0/16", "52.62.0.0/16", "101.174.0.0/16", "120.148.0.0/16", "130.95.0.0/16",
      "144.136.0.0/16", "164.53.0.0/16", "203.53.0.0/16"}},
    {"NZ",
     1.5,
     GEN_REG_GLOBAL,
     0.55,
     "AUD",
     "en-NZ",
     "en-NZ,en;q=0.9",
     "www.google.co.nz",
     {{720, GEN_DST_NZ, 100}},
     {"49.224.0.0/16", "118.90.0.0/16", "121.90.0.0/16", "122.63.0.0/16", "138.211.0.0/16",
      "156.13.0.0/16", "172.196.0.0/16", "219.89.0.0/16"}},
    {"DE",
     5,
     GEN_REG_GLOBAL,
     0.5,
     "EUR",
     "de-DE",
     "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7",
     "www.google.de",
     {{60, GEN_DST_EU, 100}},
     {"18.198.0.0/16", "62.154.0.0/16", "82.82.0.0/16", "88.74.0.0/16", "93.220.0.0/16",
      "139.3.0.0/16", "149.245.0.0/16", "195.126.0.0/16"}},
    {"BY",
     1.5,
     GEN_REG_RUSSIAN,
     0.6,
     "USD",
     "ru-BY",
     "ru-RU,ru;q=0.9,be;q=0.8,en;q=0.7",
     "www.google.by",
     {{180, GEN_DST_NONE, 100}},
     {"37.212.0.0/16", "37.214.0.0/16", "46.56.0.0/16", "93.85.0.0/16", "176.60.0.0/16",
      "178.122.0.0/16", "178.124.0.0/16", "178.126.0.0/16"}},
    {"UA",
     2,
     GEN_REG_RUSSIAN,
     0.62,
     "USD",
     "uk-UA",
     "uk-UA,uk;q=0.9,ru;q=0.8,en-US;q=0.7,en;q=0.6",
     "www.google.com.ua",
     {{120, GEN_DST_EU, 100}},
     {"31.144.0.0/16", "37.73.0.0/16", "46.119.0.0/16", "77.52.0.0/16", "94.179.0.0/16",
      "134.249.0.0/16", "176.38.0.0/16", "178.150.0.0/16"}},
    {"IL",
     2,
     GEN_REG_GLOBAL,
     0.6,
     "USD",
     "he-IL",
     "he-IL,he;q=0.9,en-US;q=0.8,en;q=0.7",
     "www.google.co.il",
     {{120, GEN_DST_EU, 100}},
     {"31.168.0.0/16", "62.90.0.0/16", "80.178.0.0/16", "84.228.0.0/16", "95.35.0.0/16",
      "132.70.0.0/16", "149.49.0.0/16", "212.143.0.0/16"}},
    {"JP",
     3,
     GEN_REG_GLOBAL,
     0.6,
     "USD",
     "ja-JP",
     "ja,en-US;q=0.9,en;q=0.8",
     "www.google.co.jp",
     {{540, GEN_DST_NONE, 100}},
     {"49.252.0.0/16", "110.66.0.0/16", "124.26.0.0/16", "130.54.0.0/16", "150.38.0.0/16",
      "163.132.0.0/16", "211.9.0.0/16", "220.222.0.0/16"}},
    {"KR",
     2,
     GEN_REG_GLOBAL,
     0.65,
     "USD",
     "ko-KR",
     "ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7",
     "www.google.co.kr",
     {{540, GEN_DST_NONE, 100}},
     {"14.44.0.0/16", "49.163.0.0/16", "112.147.0.0/16", "119.71.0.0/16", "125.142.0.0/16",
      "180.82.0.0/16", "211.62.0.0/16", "221.145.0.0/16"}},
    {"SG",
     2,
     GEN_REG_GLOBAL | GEN_REG_CHINA,
     0.6,
     "USD",
     "en-SG",
     "en-SG,en;q=0.9,zh-CN;q=0.8,zh;q=0.7",
     "www.google.com.sg",
     {{480, GEN_DST_NONE, 100}},
     {"13.76.0.0/16", "18.140.0.0/16", "52.221.0.0/16", "116.51.0.0/16", "137.132.0.0/16",
      "160.4.0.0/16", "178.97.0.0/16", "203.125.0.0/16"}},
    {"HK",
     3,
     GEN_REG_CHINA,
     0.65,
     "CNY",
     "zh-HK",
     "zh-HK,zh;q=0.9,en;q=0.8",
     "www.google.com.hk",
     {{480, GEN_DST_NONE, 100}},
     {"14.198.0.0/16", "59.149.0.0/16", "113.28.0.0/16", "119.246.0.0/16", "158.132.0.0/16",
      "191.214.0.0/16", "218.213.0.0/16", "222.166.0.0/16"}},
    {"TW",
     2,
     GEN_REG_CHINA,
     0.65,
     "CNY",
     "zh-TW",
     "zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7",
     "www.google.com.tw",
     {{480, GEN_DST_NONE, 100}},
     {"36.225.0.0/16", "59.121.0.0/16", "106.104.0.0/16", "115.82.0.0/16", "122.126.0.0/16",
      "150.117.0.0/16", "210.63.0.0/16", "220.128.0.0/16"}},
    {"CA",
     3,
     GEN_REG_GLOBAL,
     0.55,
     "USD",
     "en-CA",
     "en-CA,en;q=0.9,fr-CA;q=0.8",
     "www.google.ca",
     {{-300, GEN_DST_US, 60}, {-480, GEN_DST_US, 25}, {-420, GEN_DST_US, 15}},
     {"24.86.0.0/16", "70.72.0.0/16", "99.240.0.0/16", "138.82.0.0/16", "142.98.0.0/16",
      "142.218.0.0/16", "167.50.0.0/16", "204.101.0.0/16"}},
    {"FR",
     2.5,
     GEN_REG_GLOBAL,
     0.52,
     "EUR",
     "fr-FR",
     "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7",
     "www.google.fr",
     {{60, GEN_DST_EU, 100}},
     {"51.159.0.0/16", "79.87.0.0/16", "85.168.0.0/16", "89.2.0.0/16", "90.113.0.0/16",
      "93.26.0.0/16", "149.251.0.0/16", "176.175.0.0/16"}},
    {"NL",
     1.2,
     GEN_REG_GLOBAL,
     0.5,
     "EUR",
     "nl-NL",
     "nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7",
     "www.google.nl",
     {{60, GEN_DST_EU, 100}},
     {"62.131.0.0/16", "83.82.0.0/16", "92.69.0.0/16", "135.90.0.0/16", "145.56.0.0/16",
      "145.128.0.0/16", "145.217.0.0/16", "194.229.0.0/16"}},
    {"RU",
     2,
     GEN_REG_RUSSIAN,
     0.6,
     "USD",
     "ru-RU",
     "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7",
     "www.google.ru",
     {{180, GEN_DST_NONE, 100}},
     {"5.137.0.0/16", "37.194.0.0/16", "79.164.0.0/16", "91.122.0.0/16", "95.73.0.0/16",
      "159.93.0.0/16", "178.70.0.0/16", "188.243.0.0/16"}},
    {"MY",
     1.3,
     GEN_REG_GLOBAL | GEN_REG_CHINA,
     0.65,
     "USD",
     "en-MY",
     "en-MY,en;q=0.9,ms;q=0.8,zh-CN;q=0.7",
     "www.google.com.my",
     {{480, GEN_DST_NONE, 100}},
     {"42.155.0.0/16", "60.49.0.0/16", "114.133.0.0/16", "120.141.0.0/16", "170.38.0.0/16",
      "175.144.0.0/16", "202.185.0.0/16", "211.25.0.0/16"}},
    {"IN",
     1,
     GEN_REG_GLOBAL,
     0.75,
     "USD",
     "en-IN",
     "en-IN,en-GB;q=0.9,en-US;q=0.8,en;q=0.7,hi;q=0.6",
     "www.google.co.in",
     {{330, GEN_DST_NONE, 100}},
     {"13.235.0.0/16", "49.46.0.0/16", "101.214.0.0/16", "115.117.0.0/16", "117.232.0.0/16",
      "122.181.0.0/16", "164.100.0.0/16", "221.134.0.0/16"}},
    {"ES",
     1,
     GEN_REG_GLOBAL,
     0.55,
     "EUR",
     "es-ES",
     "es-ES,es;q=0.9",
     "www.google.es",
     {{60, GEN_DST_EU, 100}},
     {"37.13.0.0/16", "77.225.0.0/16", "81.34.0.0/16", "83.62.0.0/16", "87.223.0.0/16",
      "90.165.0.0/16", "148.56.0.0/16", "194.220.0.0/16"}},
    {"IT",
     1,
     GEN_REG_GLOBAL,
     0.55,
     "EUR",
     "it-IT",
     "it-IT,it;q=0.9,en-US;q=0.8,en;q=0.7",
     "www.google.it",
     {{60, GEN_DST_EU, 100}},
     {"2.233.0.0/16", "79.3.0.0/16", "81.114.0.0/16", "87.19.0.0/16", "93.67.0.0/16",
      "109.117.0.0/16", "151.56.0.0/16", "188.153.0.0/16"}},
};
const size_t cn_gen__country_count = sizeof(cn_gen__countries) / sizeof(cn_gen__countries[0]);

/* Visits per local hour, 00:00 first: a night low, a lunch bump and an evening peak. */
const double cn_gen__diurnal[24] = {
    0.55, 0.35, 0.22, 0.15, 0.12, 0.14, 0.25, 0.45, 0.70, 0.90, 1.00, 1.10,
    1.20, 1.10, 1.05, 1.05, 1.10, 1.15, 1.25, 1.45, 1.60, 1.60, 1.35, 0.90,
};

/* Sunday first: shoppers browse most on Sunday and Monday, least on Friday. */
const double cn_gen__weekly[7] = {1.12, 1.05, 1.00, 0.98, 0.97, 0.90, 0.95};

const gen_currency_t cn_gen__currencies[] = {
    {"CNY", 1.0}, {"USD", 7.10}, {"EUR", 7.75}, {"GBP", 9.05}, {"AUD", 4.65},
};
const size_t cn_gen__currency_count = sizeof(cn_gen__currencies) / sizeof(cn_gen__currencies[0]);

/* --- Catalogue --- */

#define TEA_ORIGINS                                                                                \
    {                                                                                              \
        "Anxi", "Wuyi", "Yunnan", "Fujian"                                                         \
    }
#define KILNS                                                                                      \
    {                                                                                              \
        "Jingdezhen", "Dehua", "Longquan", "Liling"                                                \
    }
#define SILK                                                                                       \
    {                                                                                              \
        "Suzhou", "Hangzhou", "Shengze", "Nanjing"                                                 \
    }
#define CRAFT                                                                                      \
    {                                                                                              \
        "Huizhou", "Suzhou", "Beijing", "Foshan"                                                   \
    }
#define KITCHEN                                                                                    \
    {                                                                                              \
        "Zhangqiu", "Guangdong", "Yangjiang", "Sichuan"                                            \
    }
#define FOOD                                                                                       \
    {                                                                                              \
        "Sichuan", "Guangdong", "Shanxi", "Zhenjiang"                                              \
    }

const gen_category_t cn_gen__categories[] = {
    {"Tea",
     "tea",
     "Oolong",
     "oolong",
     "TOL",
     {"Oolong Tea", "Tieguanyin", "Da Hong Pao"},
     {"Anxi", "Wuyi", "Phoenix Mountain", "Alishan"},
     4800,
     128000},
    {"Tea",
     "tea",
     "Green Tea",
     "green-tea",
     "TGR",
     {"Longjing Green Tea", "Biluochun", "Green Tea"},
     {"West Lake", "Hangzhou", "Dongting", "Huangshan"},
     3800,
     98000},
    {"Tea",
     "tea",
     "Black Tea",
     "black-tea",
     "TBL",
     {"Keemun Black Tea", "Dianhong", "Lapsang Souchong"},
     {"Qimen", "Yunnan", "Wuyi", "Fujian"},
     3800,
     68000},
    {"Tea",
     "tea",
     "Pu-erh",
     "pu-erh",
     "TPU",
     {"Pu-erh Cake", "Ripe Pu-erh", "Raw Pu-erh Brick"},
     {"Menghai", "Yiwu", "Lincang", "Banna"},
     6800,
     268000},
    {"Tea",
     "tea",
     "White Tea",
     "white-tea",
     "TWH",
     {"Silver Needle", "White Peony", "Shou Mei"},
     {"Fuding", "Zhenghe", "Fujian", "Taimu"},
     5800,
     158000},
    {"Tea",
     "tea",
     "Flower Tea",
     "flower-tea",
     "TFL",
     {"Jasmine Pearls", "Chrysanthemum Tea", "Osmanthus Oolong"},
     {"Fuzhou", "Hangzhou", "Guilin", "Tongxiang"},
     2800,
     48000},
    {"Teaware",
     "teaware",
     "Teapots",
     "teapots",
     "WTP",
     {"Teapot", "Zisha Teapot", "Clay Teapot"},
     {"Yixing", "Jianshui", "Chaozhou", "Nixing"},
     9800,
     388000},
    {"Teaware",
     "teaware",
     "Cups and Gaiwans",
     "cups",
     "WTC",
     {"Tea Cup", "Tasting Cup Set", "Gaiwan"},
     KILNS,
     2800,
     58000},
    {"Teaware",
     "teaware",
     "Tea Trays",
     "trays",
     "WTR",
     {"Tea Tray", "Bamboo Tea Tray", "Tea Table"},
     {"Anji", "Fujian", "Jinhua", "Huizhou"},
     8800,
     198000},
    {"Teaware",
     "teaware",
     "Kettles",
     "kettles",
     "WKT",
     {"Tea Kettle", "Cast Iron Kettle", "Glass Kettle"},
     {"Hunan", "Shandong", "Zhejiang", "Guangdong"},
     12800,
     98000},
    {"Porcelain",
     "porcelain",
     "Vases",
     "vases",
     "PVA",
     {"Vase", "Ginger Jar", "Meiping Vase"},
     KILNS,
     12800,
     588000},
    {"Porcelain",
     "porcelain",
     "Bowls",
     "bowls",
     "PBW",
     {"Rice Bowl", "Noodle Bowl", "Serving Bowl"},
     KILNS,
     2800,
     38000},
    {"Porcelain",
     "porcelain",
     "Plates",
     "plates",
     "PPL",
     {"Dinner Plate", "Dessert Plate", "Dinnerware Set"},
     KILNS,
     3800,
     168000},
    {"Silk",
     "silk",
     "Scarves",
     "scarves",
     "SSC",
     {"Silk Scarf", "Silk Shawl", "Pocket Square"},
     SILK,
     9800,
     128000},
    {"Silk",
     "silk",
     "Sleepwear",
     "sleepwear",
     "SSL",
     {"Silk Pajamas", "Silk Robe", "Silk Pillowcase"},
     SILK,
     16800,
     188000},
    {"Silk",
     "silk",
     "Qipao",
     "qipao",
     "SQP",
     {"Qipao", "Cheongsam Dress", "Silk Blouse"},
     SILK,
     38800,
     388000},
    {"Silk",
     "silk",
     "Bedding",
     "bedding",
     "SBD",
     {"Silk Duvet", "Silk Sheet Set", "Silk Eye Mask"},
     SILK,
     6800,
     398000},
    {"Jewelry",
     "jewelry",
     "Jade",
     "jade",
     "JJD",
     {"Jade Bangle", "Jade Pendant", "Jade Bracelet"},
     {"Hetian", "Xiuyan", "Lantian", "Burmese"},
     18800,
     888000},
    {"Jewelry",
     "jewelry",
     "Pearls",
     "pearls",
     "JPE",
     {"Pearl Necklace", "Pearl Earrings", "Pearl Bracelet"},
     {"Zhuji", "Freshwater", "Akoya", "Hainan"},
     12800,
     398000},
    {"Jewelry",
     "jewelry",
     "Silver",
     "silver",
     "JSI",
     {"Silver Bracelet", "Silver Ring", "Silver Hairpin"},
     {"Miao", "Yunnan", "Dali", "Guizhou"},
     6800,
     98000},
    {"Art",
     "art",
     "Calligraphy",
     "calligraphy",
     "ACA",
     {"Brush Set", "Ink Stick", "Xuan Paper Pack"},
     {"Huzhou", "Huizhou", "Jingxian", "Shexian"},
     2800,
     68000},
    {"Art",
     "art",
     "Paintings",
     "paintings",
     "APA",
     {"Scroll Painting", "Landscape Print", "Ink Painting"},
     CRAFT,
     9800,
     298000},
    {"Art",
     "art",
     "Paper Cutting",
     "paper-cutting",
     "APC",
     {"Paper Cut", "Shadow Puppet", "Paper Cut Set"},
     {"Yuxian", "Foshan", "Yangzhou", "Shaanxi"},
     1800,
     28000},
    {"Home",
     "home",
     "Lanterns",
     "lanterns",
     "HLA",
     {"Silk Lantern", "Paper Lantern", "Palace Lantern"},
     CRAFT,
     2800,
     68000},
    {"Home",
     "home",
     "Incense",
     "incense",
     "HIN",
     {"Incense Sticks", "Incense Burner", "Sandalwood Coils"},
     {"Quanzhou", "Hainan", "Tibet", "Xiamen"},
     1800,
     88000},
    {"Home",
     "home",
     "Fans",
     "fans",
     "HFA",
     {"Folding Fan", "Sandalwood Fan", "Silk Fan"},
     CRAFT,
     1800,
     38000},
    {"Home",
     "home",
     "Cushions",
     "cushions",
     "HCU",
     {"Embroidered Cushion", "Brocade Pillow", "Meditation Cushion"},
     SILK,
     6800,
     48000},
    {"Kitchen",
     "kitchen",
     "Woks",
     "woks",
     "KWO",
     {"Carbon Steel Wok", "Cast Iron Wok", "Wok Set"},
     KITCHEN,
     12800,
     88000},
    {"Kitchen",
     "kitchen",
     "Chopsticks",
     "chopsticks",
     "KCH",
     {"Chopsticks", "Chopstick Set", "Chopstick Rest"},
     KITCHEN,
     1800,
     28000},
    {"Kitchen",
     "kitchen",
     "Steamers",
     "steamers",
     "KST",
     {"Bamboo Steamer", "Steamer Basket", "Dim Sum Steamer"},
     KITCHEN,
     3800,
     26800},
    {"Kitchen",
     "kitchen",
     "Knives",
     "knives",
     "KKN",
     {"Chinese Cleaver", "Chef Knife", "Knife Set"},
     KITCHEN,
     9800,
     128000},
    {"Food",
     "food",
     "Snacks",
     "snacks",
     "FSN",
     {"Mooncake Gift Box", "Dried Mango", "Sesame Candy"},
     FOOD,
     1800,
     38800},
    {"Food",
     "food",
     "Sauces",
     "sauces",
     "FSA",
     {"Chili Oil", "Soy Sauce", "Black Vinegar"},
     FOOD,
     1800,
     12800},
    {"Food",
     "food",
     "Spices",
     "spices",
     "FSP",
     {"Sichuan Peppercorn", "Star Anise", "Five Spice"},
     FOOD,
     1200,
     8800},
    {"Food",
     "food",
     "Noodles",
     "noodles",
     "FNO",
     {"Hand-pulled Noodles", "Rice Noodles", "Knife-cut Noodles"},
     FOOD,
     1500,
     9800},
    {"Wellness",
     "wellness",
     "Herbal",
     "herbal",
     "LHE",
     {"Goji Berries", "Ginseng", "Herbal Tea Blend"},
     {"Ningxia", "Changbai", "Yunnan", "Gansu"},
     2800,
     168000},
    {"Wellness",
     "wellness",
     "Massage",
     "massage",
     "LMA",
     {"Gua Sha Stone", "Jade Roller", "Acupressure Mat"},
     {"Xiuyan", "Hetian", "Guangdong", "Zhejiang"},
     3800,
     48000},
    {"Clothing",
     "clothing",
     "Hanfu",
     "hanfu",
     "CHA",
     {"Hanfu Dress", "Tang Suit", "Mandarin Jacket"},
     SILK,
     19800,
     298000},
    {"Clothing",
     "clothing",
     "Shoes",
     "shoes",
     "CSH",
     {"Embroidered Shoes", "Kung Fu Shoes", "Cloth Slippers"},
     {"Beijing", "Suzhou", "Shanghai", "Henan"},
     6800,
     68000},
    {"Festive",
     "festive",
     "New Year",
     "new-year",
     "ENY",
     {"Spring Couplets", "Fu Character Decoration", "Red Envelope Set"},
     CRAFT,
     1200,
     18800},
    {"Festive",
     "festive",
     "Gifts",
     "gifts",
     "EGI",
     {"Tea Gift Set", "Zodiac Figurine", "Lucky Cat"},
     CRAFT,
     4800,
     168000},
};
const size_t cn_gen__category_count = sizeof(cn_gen__categories) / sizeof(cn_gen__categories[0]);

const char *const cn_gen__adjectives[] = {
    "Classic", "Premium",  "Handmade", "Vintage",   "Imperial", "Organic", "Traditional", "Artisan",
    "Deluxe",  "Everyday", "Heritage", "Signature", "Mini",     "Grand",   "Celadon",     "Golden",
};
const size_t cn_gen__adjective_count = sizeof(cn_gen__adjectives) / sizeof(cn_gen__adjectives[0]);

/* --- Search terms --- */

static const char *const terms_en[] = {
    "oolong tea",
    "green tea",
    "puer tea",
    "jasmine tea",
    "teapot",
    "yixing teapot",
    "gaiwan",
    "tea set",
    "silk scarf",
    "silk pillowcase",
    "qipao dress",
    "jade bracelet",
    "pearl necklace",
    "calligraphy brush",
    "paper lantern",
    "incense",
    "carbon steel wok",
    "chopsticks",
    "bamboo steamer",
    "chili oil",
    "sichuan pepper",
    "mooncake",
    "gua sha",
    "jade roller",
    "hanfu",
    "kung fu shoes",
    "red envelopes",
    "lucky cat",
    "porcelain vase",
    "blue and white porcelain",
    "tea tray",
    "cast iron kettle",
    "white tea",
    "da hong pao",
    "longjing",
    "chinese tea shop",
    "chinese gifts",
    "canton shop",
    "tieguanyin",
    "lapsang souchong",
};
static const char *const terms_zh[] = {
    "乌龙茶",   "铁观音",   "普洱茶",   "龙井", "白茶",       "茉莉花茶", "紫砂壶", "盖碗",
    "茶具套装", "丝绸围巾", "真丝睡衣", "旗袍", "和田玉手镯", "珍珠项链", "毛笔",   "灯笼",
    "檀香",     "铁锅",     "筷子",     "蒸笼", "辣椒油",     "月饼礼盒", "刮痧板", "汉服",
};
static const char *const terms_de[] = {
    "oolong tee", "grüner tee",     "teekanne",    "seidenschal",     "jade armband",
    "teeschale",  "bambus dämpfer", "essstäbchen", "räucherstäbchen", "wok gusseisen",
};
static const char *const terms_ru[] = {
    "улун чай",         "пуэр",          "зеленый чай",
    "исинский чайник",  "шелковый шарф", "браслет из нефрита",
    "палочки для еды",  "вок",           "гайвань",
    "чайная церемония",
};
static const char *const terms_ja[] = {
    "烏龍茶", "プーアル茶", "急須", "茶器セット", "シルクスカーフ", "翡翠ブレスレット",
};
#define TERMS(l, a)                                                                                \
    {                                                                                              \
        l, a, sizeof(a) / sizeof(a[0])                                                             \
    }
const gen_terms_t cn_gen__terms[] = {
    TERMS("en", terms_en), TERMS("zh", terms_zh), TERMS("de", terms_de),
    TERMS("ru", terms_ru), TERMS("uk", terms_ru), TERMS("ja", terms_ja),
};
const size_t cn_gen__terms_count = sizeof(cn_gen__terms) / sizeof(cn_gen__terms[0]);

/* --- Content pages --- */

const char *const cn_gen__blog_titles[] = {
    "How to Brew %s",        "A Beginner's Guide to %s", "%s: History and Tasting Notes",
    "Caring for Your %s",    "10 Gift Ideas with %s",    "The Story Behind %s",
    "Choosing the Right %s", "%s Around the World",
};
const size_t cn_gen__blog_title_count =
    sizeof(cn_gen__blog_titles) / sizeof(cn_gen__blog_titles[0]);
const char *const cn_gen__blog_topics[] = {
    "Oolong Tea",      "Pu-erh",       "Green Tea", "White Tea",
    "Yixing Teapots",  "Gaiwans",      "Jade",      "Silk",
    "Calligraphy",     "Porcelain",    "Mooncakes", "Chinese New Year",
    "Lanterns",        "Incense",      "Woks",      "Dim Sum",
    "Sichuan Pepper",  "Hanfu",        "Pearls",    "Jasmine Tea",
    "Bamboo Steamers", "Tea Ceremony", "Gua Sha",   "Lucky Cats",
    "Red Envelopes",
};
const size_t cn_gen__blog_topic_count =
    sizeof(cn_gen__blog_topics) / sizeof(cn_gen__blog_topics[0]);

const gen_info_page_t cn_gen__info_pages[] = {
    {"/about", "About us"},
    {"/shipping", "Shipping"},
    {"/returns", "Returns"},
    {"/faq", "FAQ"},
    {"/contact", "Contact"},
    {"/privacy", "Privacy policy"},
    {"/terms", "Terms of sale"},
    {"/account/login", "Sign in"},
    {"/account/register", "Create account"},
    {"/account/orders", "My orders"},
    {"/wishlist", "Wishlist"},
    {"/gift-cards", "Gift cards"},
};
const size_t cn_gen__info_page_count = sizeof(cn_gen__info_pages) / sizeof(cn_gen__info_pages[0]);

/* --- Referring sites --- */

#define G GEN_REG_GLOBAL
#define C GEN_REG_CHINA
#define R GEN_REG_RUSSIAN

const gen_engine_t cn_gen__engines[] = {
    {"google", NULL, "/search?q=", G, 80},
    {"google", NULL, "/search?q=", C, 8},
    {"google", NULL, "/search?q=", R, 45},
    {"bing", "www.bing.com", "/search?q=", G, 10},
    {"bing", "cn.bing.com", "/search?q=", C, 10},
    {"bing", "www.bing.com", "/search?q=", R, 5},
    {"duckduckgo", "duckduckgo.com", "/?q=", G, 3},
    {"yahoo", "search.yahoo.com", "/search?p=", G, 2},
    {"baidu", "www.baidu.com", "/s?wd=", C, 60},
    {"sogou", "www.sogou.com", "/web?query=", C, 12},
    {"so", "www.so.com", "/s?q=", C, 10},
    {"yandex", "yandex.ru", "/search/?text=", R, 45},
};
const size_t cn_gen__engine_count = sizeof(cn_gen__engines) / sizeof(cn_gen__engines[0]);

const gen_site_t cn_gen__social[] = {
    {"https://l.facebook.com/", G, 20},
    {"https://m.facebook.com/", G, 8},
    {"https://l.instagram.com/", G, 14},
    {"https://t.co/", G, 6},
    {"https://www.reddit.com/", G, 6},
    {"https://www.pinterest.com/", G, 8},
    {"https://www.youtube.com/", G, 6},
    {"https://www.linkedin.com/", G, 2},
    {"https://weibo.com/", C, 20},
    {"https://www.xiaohongshu.com/", C, 25},
    {"https://www.douyin.com/", C, 15},
    {"https://www.zhihu.com/", C, 10},
    {"https://www.bilibili.com/", C, 8},
    {"https://vk.com/", R, 30},
    {"https://ok.ru/", R, 8},
    {"https://dzen.ru/", R, 6},
};
const size_t cn_gen__social_count = sizeof(cn_gen__social) / sizeof(cn_gen__social[0]);

const gen_site_t cn_gen__referral[] = {
    {"https://www.reddit.com/r/tea/comments/1h2k9xq/best_oolong_shops/", G, 10},
    {"https://www.teachat.com/threads/ordering-from-china.28911/", G, 6},
    {"https://www.trustpilot.com/review/shop.canton.test", G, 6},
    {"https://www.mydealz.de/deals/tee-rabatt-2291834", G, 3},
    {"https://www.ozbargain.com.au/node/871234", G, 3},
    {"https://news.ycombinator.com/item?id=41234567", G, 2},
    {"https://www.smzdm.com/p/112233445/", C, 15},
    {"https://www.douban.com/group/topic/298765432/", C, 8},
    {"https://pikabu.ru/story/kitayskiy_chay_11223344", R, 8},
};
const size_t cn_gen__referral_count = sizeof(cn_gen__referral) / sizeof(cn_gen__referral[0]);

const gen_site_t cn_gen__webmail[] = {
    {"https://mail.google.com/", G, 40}, {"https://outlook.live.com/", G, 20},
    {"https://mail.yahoo.com/", G, 5},   {"https://mail.qq.com/", C, 40},
    {"https://mail.163.com/", C, 20},    {"https://mail.yandex.ru/", R | G, 10},
};
const size_t cn_gen__webmail_count = sizeof(cn_gen__webmail) / sizeof(cn_gen__webmail[0]);

const gen_site_t cn_gen__outbound[] = {
    {"https://www.instagram.com/cantonshop/", G, 10},
    {"https://weibo.com/cantonshop", C, 10},
    {"https://www.trustpilot.com/review/shop.canton.test", G, 6},
    {"https://www.youtube.com/@cantonshop", G, 5},
    {"https://partner.example.org/offer?ref=canton", G | C | R, 4},
};
const size_t cn_gen__outbound_count = sizeof(cn_gen__outbound) / sizeof(cn_gen__outbound[0]);

#undef G
#undef C
#undef R

/* --- Calendar --- */

/* Howard Hinnant's days_from_civil and civil_from_days algorithms. */
int64_t cn_gen__days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void cn_gen__civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400) + (*m <= 2);
}

unsigned cn_gen__weekday(int64_t days)
{
    return (unsigned)(days >= -4 ? (days + 4) % 7 : (days + 5) % 7 + 6);
}

/* Day number of the n-th (1..) Sunday of a month, or the last one when n is 0. */
static int64_t sunday(int y, unsigned m, int n)
{
    if (n == 0) {
        int64_t last = cn_gen__days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
        return last - cn_gen__weekday(last);
    }
    int64_t first = cn_gen__days_from_civil(y, m, 1);
    return first + (7 - cn_gen__weekday(first)) % 7 + 7 * (n - 1);
}

int cn_gen__zone_offset(const gen_zone_t *z, int64_t utc_us)
{
    int off = z->offset_min;
    if (z->dst == GEN_DST_NONE)
        return off;
    const int64_t hour_us = 3600 * (int64_t)1000000;
    const int64_t day_us = 24 * hour_us;
    int64_t days = utc_us >= 0 ? utc_us / day_us : -((-utc_us + day_us - 1) / day_us);
    int y;
    unsigned m, d;
    cn_gen__civil_from_days(days, &y, &m, &d);
    /* Transition instants in UTC µs; local standard time = UTC + off. */
    int64_t start, end;
    int64_t std_us = (int64_t)off * 60 * 1000000;
    switch (z->dst) {
    case GEN_DST_EU:
        start = sunday(y, 3, 0) * day_us + hour_us;
        end = sunday(y, 10, 0) * day_us + hour_us;
        return utc_us >= start && utc_us < end ? off + 60 : off;
    case GEN_DST_US:
        start = sunday(y, 3, 2) * day_us + 2 * hour_us - std_us;
        end = sunday(y, 11, 1) * day_us + hour_us - std_us;
        return utc_us >= start && utc_us < end ? off + 60 : off;
    case GEN_DST_AU: /* southern: off from the first Sunday of April to the first of October */
        end = sunday(y, 4, 1) * day_us + 2 * hour_us - std_us;
        start = sunday(y, 10, 1) * day_us + 2 * hour_us - std_us;
        return utc_us >= end && utc_us < start ? off : off + 60;
    case GEN_DST_NZ:
        end = sunday(y, 4, 1) * day_us + 2 * hour_us - std_us;
        start = sunday(y, 9, 0) * day_us + 2 * hour_us - std_us;
        return utc_us >= end && utc_us < start ? off : off + 60;
    }
    return off;
}

int64_t cn_gen__cny_day(int y)
{
    static const unsigned char md[][2] = {
        {1, 25}, {2, 12}, {2, 1},  {1, 22}, {2, 10}, {1, 29},
        {2, 17}, {2, 6},  {1, 26}, {2, 13}, {2, 3},
    };
    if (y < 2020 || y > 2030)
        return -1;
    return cn_gen__days_from_civil(y, md[y - 2020][0], md[y - 2020][1]);
}
