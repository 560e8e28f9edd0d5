/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Time parsing for import: fast paths for the three timestamp shapes web
 * servers write ($time_local, $time_iso8601, $msec) and a small strptime
 * for GoAccess's --date-format/--time-format. No libc strptime: it depends
 * on the locale and the TZ environment and is slow. A time without a zone
 * is taken as UTC (docs/import.md).
 */
#include "import/internal.h"

static const char months[12][4] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const month_names[12] = {"january",   "february", "march",    "april",
                                            "may",       "june",     "july",     "august",
                                            "september", "october",  "november", "december"};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
int64_t cn_import__days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (unsigned)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (unsigned)d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int cn_import__tm_to_us(const cn_import_tm_t *tm, int64_t *out)
{
    if (tm->has_epoch) {
        *out = tm->epoch_us;
        return 0;
    }
    if (!tm->has_date || tm->year < 1970 || tm->year > 9999 || tm->mon < 1 || tm->mon > 12 ||
        tm->day < 1 || tm->day > days_in_month(tm->year, tm->mon))
        return CN_EPARSE;
    int hour = tm->hour;
    if (tm->has_pm) {
        if (hour < 1 || hour > 12)
            return CN_EPARSE;
        hour = hour % 12 + (tm->pm ? 12 : 0);
    }
    if (hour > 23 || tm->min > 59 || tm->sec > 60)
        return CN_EPARSE;
    int64_t s = cn_import__days_from_civil(tm->year, tm->mon, tm->day) * 86400 + hour * 3600 +
                tm->min * 60 + tm->sec - tm->tz_sec;
    *out = s * 1000000 + tm->usec;
    return 0;
}

/* Reads 1..max digits at s[*i]; returns the value or -1. */
static int get_num(cn_str_t s, size_t *i, int min_digits, int max_digits)
{
    int v = 0, n = 0;
    while (*i < s.len && n < max_digits && s.ptr[*i] >= '0' && s.ptr[*i] <= '9') {
        v = v * 10 + (s.ptr[*i] - '0');
        (*i)++;
        n++;
    }
    return n >= min_digits ? v : -1;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int get_month(cn_str_t s, size_t *i)
{
    if (*i + 3 > s.len)
        return -1;
    for (int m = 0; m < 12; m++) {
        if (lower(s.ptr[*i]) != months[m][0] || lower(s.ptr[*i + 1]) != months[m][1] ||
            lower(s.ptr[*i + 2]) != months[m][2])
            continue;
        size_t n = strlen(month_names[m]), k = 3;
        while (k < n && *i + k < s.len && lower(s.ptr[*i + k]) == month_names[m][k])
            k++;
        *i += k == n ? n : 3;
        return m + 1;
    }
    return -1;
}

/* Fraction digits after '.' (or ','): up to 9 digits, µs kept. */
static int get_frac(cn_str_t s, size_t *i)
{
    int us = 0, n = 0;
    while (*i < s.len && s.ptr[*i] >= '0' && s.ptr[*i] <= '9') {
        if (n < 6)
            us = us * 10 + (s.ptr[*i] - '0');
        n++;
        (*i)++;
    }
    if (n == 0)
        return -1;
    for (; n < 6; n++)
        us *= 10;
    return us;
}

/* "Z", "+hhmm", "+hh:mm", "+hh", "-..."; "UTC"/"GMT" also. Returns 0 or -1. */
static int get_zone(cn_str_t s, size_t *i, int *tz_sec)
{
    if (*i < s.len && (s.ptr[*i] == 'Z' || s.ptr[*i] == 'z')) {
        (*i)++;
        *tz_sec = 0;
        return 0;
    }
    if (*i + 3 <= s.len &&
        (memcmp(s.ptr + *i, "UTC", 3) == 0 || memcmp(s.ptr + *i, "GMT", 3) == 0)) {
        *i += 3;
        *tz_sec = 0;
        return 0;
    }
    if (*i >= s.len || (s.ptr[*i] != '+' && s.ptr[*i] != '-'))
        return -1;
    int sign = s.ptr[*i] == '-' ? -1 : 1;
    (*i)++;
    int hh = get_num(s, i, 2, 2), mm = 0;
    if (hh < 0 || hh > 23)
        return -1;
    if (*i < s.len && s.ptr[*i] == ':')
        (*i)++;
    if (*i < s.len && s.ptr[*i] >= '0' && s.ptr[*i] <= '9') {
        mm = get_num(s, i, 2, 2);
        if (mm < 0 || mm > 59)
            return -1;
    }
    *tz_sec = sign * (hh * 3600 + mm * 60);
    return 0;
}

static int get_epoch(cn_str_t s, size_t *i, int64_t *out)
{
    int64_t v = 0;
    size_t n = 0;
    while (*i < s.len && s.ptr[*i] >= '0' && s.ptr[*i] <= '9') {
        if (n == 16)
            return -1; /* 17 digits or more: no unit */
        v = v * 10 + (s.ptr[*i] - '0');
        (*i)++;
        n++;
    }
    /*
     * The unit is told by the count of digits (docs/import.md "Times"): up to 10 are seconds,
     * 12 or 13 milliseconds, 15 or 16 microseconds: the unit in which the number is a time
     * between 1973 and 2286. 11 and 14 digits are such a time in no unit (11 as seconds is
     * past 2286, as milliseconds before March 1973) and are refused rather than guessed.
     */
    if (n == 0 || n == 11 || n == 14)
        return -1;
    int us = 0;
    if (*i < s.len && s.ptr[*i] == '.') {
        (*i)++;
        us = get_frac(s, i);
        if (us < 0)
            return -1;
    }
    if (n >= 15)
        *out = v;
    else if (n >= 12)
        *out = v * 1000 + us / 1000;
    else
        *out = v * 1000000 + us;
    return 0;
}

static bool is_alpha(char c)
{
    return (c | 32) >= 'a' && (c | 32) <= 'z';
}

static int strptime_rec(const char *fmt, cn_str_t s, size_t *i, cn_import_tm_t *tm, int depth)
{
    if (depth > 2)
        return CN_EPARSE;
    for (const char *f = fmt; *f; f++) {
        if (*f == ' ') {
            /* one space in the format: any run of blanks, or one 'T' or ':' */
            if (*i < s.len && (s.ptr[*i] == 'T' || s.ptr[*i] == ':')) {
                (*i)++;
                continue;
            }
            while (*i < s.len && (s.ptr[*i] == ' ' || s.ptr[*i] == '\t'))
                (*i)++;
            continue;
        }
        if (*f != '%') {
            if (*i >= s.len || s.ptr[*i] != *f)
                return CN_EPARSE;
            (*i)++;
            continue;
        }
        f++;
        int v;
        switch (*f) {
        case 'd':
        case 'e':
            if (*f == 'e' && *i < s.len && s.ptr[*i] == ' ')
                (*i)++;
            if ((v = get_num(s, i, 1, 2)) < 0)
                return CN_EPARSE;
            tm->day = v;
            tm->has_date = true;
            break;
        case 'm':
            if ((v = get_num(s, i, 1, 2)) < 0)
                return CN_EPARSE;
            tm->mon = v;
            break;
        case 'b':
        case 'h':
        case 'B':
            if ((v = get_month(s, i)) < 0)
                return CN_EPARSE;
            tm->mon = v;
            break;
        case 'Y':
            if ((v = get_num(s, i, 4, 4)) < 0)
                return CN_EPARSE;
            tm->year = v;
            tm->has_date = true;
            break;
        case 'y':
            if ((v = get_num(s, i, 2, 2)) < 0)
                return CN_EPARSE;
            tm->year = v < 69 ? 2000 + v : 1900 + v;
            tm->has_date = true;
            break;
        case 'H':
        case 'k':
        case 'I':
        case 'l':
            if ((*f == 'k' || *f == 'l') && *i < s.len && s.ptr[*i] == ' ')
                (*i)++;
            if ((v = get_num(s, i, 1, 2)) < 0)
                return CN_EPARSE;
            tm->hour = v;
            tm->has_time = true;
            break;
        case 'M':
            if ((v = get_num(s, i, 1, 2)) < 0)
                return CN_EPARSE;
            tm->min = v;
            break;
        case 'S':
            if ((v = get_num(s, i, 1, 2)) < 0)
                return CN_EPARSE;
            tm->sec = v;
            /* tolerate a fraction after seconds even when the format has none */
            if (*i < s.len && (s.ptr[*i] == '.' || s.ptr[*i] == ',') && f[1] != '.') {
                size_t j = *i + 1;
                int us = get_frac(s, &j);
                if (us >= 0) {
                    tm->usec = us;
                    *i = j;
                }
            }
            break;
        case 'f':
            if ((v = get_frac(s, i)) < 0)
                return CN_EPARSE;
            tm->usec = v;
            break;
        case 'z':
            if (get_zone(s, i, &tm->tz_sec) < 0)
                return CN_EPARSE;
            break;
        case 'Z':
        case 'a':
        case 'A':
            while (*i < s.len && is_alpha(s.ptr[*i]))
                (*i)++;
            break;
        case 'p':
            if (*i + 2 > s.len)
                return CN_EPARSE;
            if ((s.ptr[*i] | 32) == 'a')
                tm->pm = false;
            else if ((s.ptr[*i] | 32) == 'p')
                tm->pm = true;
            else
                return CN_EPARSE;
            if ((s.ptr[*i + 1] | 32) != 'm')
                return CN_EPARSE;
            tm->has_pm = true;
            *i += 2;
            break;
        case 's':
            if (get_epoch(s, i, &tm->epoch_us) < 0)
                return CN_EPARSE;
            tm->has_epoch = true;
            break;
        case 'T':
            CN_RETURN_IF_ERR(strptime_rec("%H:%M:%S", s, i, tm, depth + 1));
            break;
        case 'R':
            CN_RETURN_IF_ERR(strptime_rec("%H:%M", s, i, tm, depth + 1));
            break;
        case 'D':
            CN_RETURN_IF_ERR(strptime_rec("%m/%d/%y", s, i, tm, depth + 1));
            break;
        case 'F':
            CN_RETURN_IF_ERR(strptime_rec("%Y-%m-%d", s, i, tm, depth + 1));
            break;
        case '%':
            if (*i >= s.len || s.ptr[*i] != '%')
                return CN_EPARSE;
            (*i)++;
            break;
        default:
            return CN_EPARSE;
        }
    }
    return 0;
}

int cn_import__strptime(const char *fmt, cn_str_t s, cn_import_tm_t *tm)
{
    size_t i = 0;
    CN_RETURN_IF_ERR(strptime_rec(fmt, s, &i, tm, 0));
    return i == s.len ? 0 : CN_EPARSE;
}

static inline int d2(const char *p)
{
    unsigned a = (unsigned char)p[0] - '0', b = (unsigned char)p[1] - '0';
    return a <= 9 && b <= 9 ? (int)(a * 10 + b) : -1;
}

static int month_abbr(const char *p)
{
    char a = (char)lower(p[0]), b = (char)lower(p[1]), c = (char)lower(p[2]);
    for (int m = 0; m < 12; m++)
        if (months[m][0] == a && months[m][1] == b && months[m][2] == c)
            return m + 1;
    return -1;
}

int cn_import__parse_clf_time(cn_str_t s, int64_t *out)
{
    /* 10/Oct/2000:13:55:36 -0700 (the zone may be missing) */
    const char *p = s.ptr;
    if (s.len < 20 || p[2] != '/' || p[6] != '/' || p[11] != ':' || p[14] != ':' || p[17] != ':')
        goto slow;
    cn_import_tm_t tm = {0};
    int y1 = d2(p + 7), y2 = d2(p + 9);
    tm.day = d2(p);
    tm.mon = month_abbr(p + 3);
    tm.hour = d2(p + 12);
    tm.min = d2(p + 15);
    tm.sec = d2(p + 18);
    if (y1 < 0 || y2 < 0 || tm.day < 0 || tm.mon < 0 || tm.hour < 0 || tm.min < 0 || tm.sec < 0)
        return CN_EPARSE;
    tm.year = y1 * 100 + y2;
    tm.has_date = true;
    size_t i = 20;
    if (i < s.len && (p[i] == '.' || p[i] == ',')) {
        i++;
        if ((tm.usec = get_frac(s, &i)) < 0)
            return CN_EPARSE;
    }
    if (i < s.len) {
        if (p[i] != ' ')
            return CN_EPARSE;
        i++;
        if (get_zone(s, &i, &tm.tz_sec) < 0 || i != s.len)
            return CN_EPARSE;
    }
    return cn_import__tm_to_us(&tm, out);
slow:;
    cn_import_tm_t t2 = {0};
    if (cn_import__strptime("%d/%b/%Y:%H:%M:%S %z", s, &t2) != 0)
        return CN_EPARSE;
    return cn_import__tm_to_us(&t2, out);
}

int cn_import__parse_iso_time(cn_str_t s, int64_t *out)
{
    /* 2000-10-10T13:55:36[.frac][Z|+hh:mm|+hhmm]; a space may replace the T */
    const char *p = s.ptr;
    if (s.len < 19 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != ' ') ||
        p[13] != ':' || p[16] != ':')
        return CN_EPARSE;
    cn_import_tm_t tm = {0};
    int y1 = d2(p), y2 = d2(p + 2);
    tm.mon = d2(p + 5);
    tm.day = d2(p + 8);
    tm.hour = d2(p + 11);
    tm.min = d2(p + 14);
    tm.sec = d2(p + 17);
    if (y1 < 0 || y2 < 0 || tm.mon < 0 || tm.day < 0 || tm.hour < 0 || tm.min < 0 || tm.sec < 0)
        return CN_EPARSE;
    tm.year = y1 * 100 + y2;
    tm.has_date = true;
    size_t i = 19;
    if (i < s.len && (p[i] == '.' || p[i] == ',')) {
        i++;
        if ((tm.usec = get_frac(s, &i)) < 0)
            return CN_EPARSE;
    }
    if (i < s.len && get_zone(s, &i, &tm.tz_sec) < 0)
        return CN_EPARSE;
    if (i != s.len)
        return CN_EPARSE;
    return cn_import__tm_to_us(&tm, out);
}

int cn_import__parse_epoch(cn_str_t s, int64_t *out)
{
    size_t i = 0;
    if (get_epoch(s, &i, out) < 0 || i != s.len)
        return CN_EPARSE;
    return 0;
}
