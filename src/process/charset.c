/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request charsets: the Adobe `ce` parameter names the charset a request's
 * values are in, and Adobe converts them to UTF-8 (the charSet variable's
 * page). A label is looked up as browsers do (the WHATWG Encoding standard's
 * labels for the encodings sites use), then handed to glibc's iconv; the
 * windows-1252 family keeps its own table (lib/url.c), the common case.
 *
 * Converters are kept per batch (a batch belongs to one thread, and an
 * iconv_t must not be shared between threads), a few labels at a time.
 */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "lib/url.h"
#include "lib/xalloc.h"
#include "process/internal.h"

#define SLOTS     8
#define LABEL_MAX 40

typedef struct slot {
    char label[LABEL_MAX + 1]; /* normalised (lower case); "" for a free slot */
    iconv_t cd;                /* (iconv_t)-1: a label iconv does not know */
} slot_t;

struct cn_charsets {
    slot_t slot[SLOTS];
    unsigned next; /* the slot the next new label replaces */
};

/* WHATWG labels whose encoding glibc spells differently (or knows a narrower one by). */
static const struct {
    const char *label, *iconv_name;
} aliases[] = {
    /* GBK: browsers decode gb2312 and gbk with the gb18030 decoder */
    {"gb2312", "GB18030"},
    {"gbk", "GB18030"},
    {"x-gbk", "GB18030"},
    {"chinese", "GB18030"},
    {"csgb2312", "GB18030"},
    {"csiso58gb231280", "GB18030"},
    {"gb_2312", "GB18030"},
    {"gb_2312-80", "GB18030"},
    {"iso-ir-58", "GB18030"},
    /* Shift_JIS: browsers decode it as windows-31j */
    {"shift_jis", "WINDOWS-31J"},
    {"sjis", "WINDOWS-31J"},
    {"ms_kanji", "WINDOWS-31J"},
    {"ms932", "WINDOWS-31J"},
    {"windows-31j", "WINDOWS-31J"},
    {"x-sjis", "WINDOWS-31J"},
    {"csshiftjis", "WINDOWS-31J"},
    /* EUC-KR: browsers decode it as windows-949 */
    {"euc-kr", "CP949"},
    {"ks_c_5601-1987", "CP949"},
    {"ks_c_5601-1989", "CP949"},
    {"ksc5601", "CP949"},
    {"ksc_5601", "CP949"},
    {"windows-949", "CP949"},
    {"korean", "CP949"},
    {"cseuckr", "CP949"},
    /* Big5: browsers decode it with the HKSCS extensions */
    {"big5", "BIG5-HKSCS"},
    {"big5-hkscs", "BIG5-HKSCS"},
    {"cn-big5", "BIG5-HKSCS"},
    {"csbig5", "BIG5-HKSCS"},
    {"x-x-big5", "BIG5-HKSCS"},
};

/* The windows-1252 labels of the WHATWG standard (lib/url.c's table). */
static const char *const cp1252_labels[] = {
    "ansi_x3.4-1968", "ascii",           "cp1252",     "cp819",     "csisolatin1",
    "ibm819",         "iso-8859-1",      "iso-ir-100", "iso8859-1", "iso88591",
    "iso_8859-1",     "iso_8859-1:1987", "l1",         "latin1",    "us-ascii",
    "windows-1252",   "x-cp1252",
};

/* (the label nearly every request sends first) */
static const char *const utf8_labels[] = {"utf-8",         "utf8",          "unicode-1-1-utf-8",
                                          "unicode11utf8", "unicode20utf8", "x-unicode20utf8"};

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, list[i]) == 0)
            return true;
    }
    return false;
}

/* Opens a converter to UTF-8 for an encoding that leaves ASCII as it is (values without bytes
 * of 0x80 and above are then taken as they are); anything else gives (iconv_t)-1. */
static iconv_t open_ascii_compatible(const char *name)
{
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1)
        return cd;
    char in[] = "Az09 =&%", out[32];
    char *ip = in, *op = out;
    size_t il = sizeof(in) - 1, ol = sizeof(out);
    size_t r = iconv(cd, &ip, &il, &op, &ol);
    if (r == (size_t)-1 || il != 0 || (size_t)(op - out) != sizeof(in) - 1 ||
        memcmp(out, in, sizeof(in) - 1) != 0) {
        iconv_close(cd);
        return (iconv_t)-1;
    }
    return cd;
}

int cn_charset_find(cn_dbatch_t *b, cn_str_t label)
{
    /* "UTF-8" in any case, as AppMeasurement sends it on nearly every hit: no lookup */
    const char *l = label.ptr;
    if (label.len == 5 && (l[0] | 0x20) == 'u' && (l[1] | 0x20) == 't' && (l[2] | 0x20) == 'f' &&
        l[3] == '-' && l[4] == '8')
        return CN_CHARSET_UTF8;
    char norm[LABEL_MAX + 1];
    /* trim ASCII white space, as the standard's label lookup does */
    while (label.len > 0 && (label.ptr[0] == ' ' || label.ptr[0] == '\t'))
        label = cn_str(label.ptr + 1, label.len - 1);
    while (label.len > 0 && (label.ptr[label.len - 1] == ' ' || label.ptr[label.len - 1] == '\t'))
        label.len--;
    if (label.len == 0 || label.len > LABEL_MAX)
        return CN_CHARSET_UTF8;
    for (size_t i = 0; i < label.len; i++) {
        char ch = label.ptr[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == ':';
        if (!ok) /* also keeps iconv's "//TRANSLIT"-style suffixes out */
            return CN_CHARSET_UTF8;
        norm[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
    }
    norm[label.len] = '\0';
    if (in_list(norm, utf8_labels, sizeof(utf8_labels) / sizeof(utf8_labels[0])))
        return CN_CHARSET_UTF8;
    if (in_list(norm, cp1252_labels, sizeof(cp1252_labels) / sizeof(cp1252_labels[0])))
        return CN_CHARSET_CP1252;

    if (b->charsets == NULL)
        b->charsets = cn_xcalloc(1, sizeof(*b->charsets));
    struct cn_charsets *cs = b->charsets;
    for (unsigned i = 0; i < SLOTS; i++) {
        if (strcmp(cs->slot[i].label, norm) == 0)
            return cs->slot[i].cd == (iconv_t)-1 ? CN_CHARSET_UTF8 : CN_CHARSET_ICONV + (int)i;
    }
    const char *name = norm;
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        if (strcmp(norm, aliases[i].label) == 0)
            name = aliases[i].iconv_name;
    }
    unsigned at = cs->next++ % SLOTS;
    slot_t *s = &cs->slot[at];
    if (s->label[0] != '\0' && s->cd != (iconv_t)-1)
        iconv_close(s->cd);
    memcpy(s->label, norm, label.len + 1);
    s->cd = open_ascii_compatible(name);
    return s->cd == (iconv_t)-1 ? CN_CHARSET_UTF8 : CN_CHARSET_ICONV + (int)at;
}

/* Whether s needs converting from charset: bytes of 0x80 and above, or for a stateful
 * charset (ISO-2022-JP) the escape and shift bytes that switch it out of ASCII. */
static bool needs_convert(int charset, cn_str_t s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char ch = (unsigned char)s.ptr[i];
        if (ch >= 0x80 || (charset >= CN_CHARSET_ICONV && (ch == 0x1b || ch == 0x0e || ch == 0x0f)))
            return true;
    }
    return false;
}

cn_str_t cn_utf8_repair(cn_dbatch_t *b, cn_str_t s, size_t valid)
{
    char *p = cn_parena_alloc(&b->arena, valid + 3 * (s.len - valid));
    memcpy(p, s.ptr, valid);
    return cn_str(p, valid + cn_utf8_repair_to(cn_str(s.ptr + valid, s.len - valid), p + valid));
}

cn_str_t cn_charset_to_utf8(cn_dbatch_t *b, int charset, cn_str_t s)
{
    if (charset == CN_CHARSET_UTF8)
        return cn_utf8_valid(b, s);
    if (!needs_convert(charset, s))
        return s;
    if (charset == CN_CHARSET_CP1252) {
        char *p = cn_parena_alloc(&b->arena, 3 * s.len);
        return cn_str(p, cn_cp1252_to_utf8(s, p));
    }
    iconv_t cd = b->charsets->slot[charset - CN_CHARSET_ICONV].cd;
    /* No encoding glibc has gives more than 4 UTF-8 bytes a byte (a single byte can be a
     * character of up to 3; U+FFFD for a byte it cannot read is 3). */
    size_t cap = 4 * s.len;
    char *dst = cn_parena_alloc(&b->arena, cap);
    char *ip = (char *)s.ptr, *op = dst;
    size_t il = s.len, ol = cap;
    iconv(cd, NULL, NULL, NULL, NULL); /* each value starts in the initial shift state */
    while (il > 0) {
        if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1)
            break;
        if (errno == E2BIG) /* cannot happen with 4 bytes a byte; keep what fits */
            break;
        /* EILSEQ (a byte sequence the charset does not have) or EINVAL (cut short at the
         * end): one replacement character (U+FFFD) for the byte, as browsers' decoders do */
        if (ol < 3)
            break;
        memcpy(op, "\xef\xbf\xbd", 3);
        op += 3;
        ol -= 3;
        ip++;
        il--;
        iconv(cd, NULL, NULL, NULL, NULL);
    }
    return cn_str(dst, (size_t)(op - dst));
}

void cn_charsets_free(struct cn_charsets *cs)
{
    if (cs == NULL)
        return;
    for (unsigned i = 0; i < SLOTS; i++) {
        if (cs->slot[i].label[0] != '\0' && cs->slot[i].cd != (iconv_t)-1)
            iconv_close(cs->slot[i].cd);
    }
    free(cs);
}
