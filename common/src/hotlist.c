/* hotlist.c — normalisation and OCR-confusion comparison of hot-list values.
 *
 * Pure functions on ASCII and UTF-8 text; see wf/hotlist.h for the rules. The confusion classes
 * follow the character pairs licence-plate readers are known to mix up (round letters and the
 * zero, vertical strokes and the one, and the letter/digit twins 8B, 5S, 2Z, 6G).
 */
#include <string.h>

#include <wf/hotlist.h>

static int s_is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static char s_upper(unsigned char c)
{
    return (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
}

size_t wf_hotlist_normalize_plate(const char *text, char *out, size_t outlen)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        if (!s_is_alnum(*p))
            continue;
        if (n + 1 >= outlen || n >= WF_HOTLIST_VALUE_MAX)
            goto too_long;
        out[n++] = s_upper(*p);
    }
    if (outlen)
        out[n] = '\0';
    return n;
too_long:
    out[0] = '\0';
    return 0;
}

size_t wf_hotlist_normalize_person(const char *text, char *out, size_t outlen)
{
    size_t n = 0;
    int gap = 0; /* separators seen since the last kept character */
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        if (!s_is_alnum(*p) && *p < 0x80) {
            gap = 1;
            continue;
        }
        size_t need = (gap && n > 0) ? 2 : 1;
        if (n + need + 1 > outlen || n + need > WF_HOTLIST_VALUE_MAX) {
            if (outlen)
                out[0] = '\0';
            return 0;
        }
        if (gap && n > 0)
            out[n++] = ' ';
        gap = 0;
        out[n++] = s_upper(*p);
    }
    if (outlen)
        out[n] = '\0';
    return n;
}

char wf_hotlist_confusion_class(char c)
{
    switch (c) {
    case 'O':
    case 'Q':
    case 'D':
        return '0';
    case 'I':
    case 'L':
        return '1';
    case 'B':
        return '8';
    case 'S':
        return '5';
    case 'Z':
        return '2';
    case 'G':
        return '6';
    default:
        return c;
    }
}

void wf_hotlist_plate_classes(const char *plate, char *out, size_t outlen)
{
    size_t n = 0;
    for (; plate[n] && n + 1 < outlen; n++)
        out[n] = wf_hotlist_confusion_class(plate[n]);
    if (outlen)
        out[n] = '\0';
}

int wf_hotlist_plate_substitutions(const char *a, const char *b)
{
    if (strlen(a) != strlen(b))
        return -1;
    int differ = 0;
    for (size_t i = 0; a[i]; i++) {
        if (a[i] == b[i])
            continue;
        if (wf_hotlist_confusion_class(a[i]) != wf_hotlist_confusion_class(b[i]))
            return -1;
        differ++;
    }
    return differ;
}
