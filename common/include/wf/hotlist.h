/* hotlist.h — how hot-list values and the values read from records are normalised and compared.
 *
 * Shared by `wf-admin hotlist import` (which stores each entry's normalised value) and wf-enrich
 * (which normalises every plate or name it reads the same way), so that both sides agree byte
 * for byte. Plates: upper case, only ASCII letters and digits ("abc-123 " → "ABC123"). Names:
 * upper case, runs of anything but letters and digits become one space, trimmed ("Doe,  john"
 * → "DOE JOHN"); bytes of UTF-8 sequences are kept as they are.
 *
 * Plate readers confuse some characters with others (an O read as a 0, a B as an 8). Each
 * character belongs to one confusion class: {0 O Q D} {1 I L} {8 B} {5 S} {2 Z} {6 G}, every
 * other character to a class of its own. Two plates of the same length whose characters are in
 * the same classes position by position are "confusable"; the positions where they differ are
 * the substitutions an OCR error would explain. A read and an entry that are not confusable
 * never match, whatever the tolerance.
 */
#ifndef WF_HOTLIST_H
#define WF_HOTLIST_H

#include <stddef.h>

/* Longest normalised value, in bytes, without the terminating NUL. */
#define WF_HOTLIST_VALUE_MAX 63

/* Writes the normalised plate of text into out (outlen >= WF_HOTLIST_VALUE_MAX + 1 suffices).
 * Returns its length, or 0 when nothing is left (no letter or digit) or it would not fit: such
 * a value can be neither an entry nor a hit. */
size_t wf_hotlist_normalize_plate(const char *text, char *out, size_t outlen);

/* Writes the normalised name of text into out. Returns its length, or 0 as above. */
size_t wf_hotlist_normalize_person(const char *text, char *out, size_t outlen);

/* The representative of c's confusion class ('O', 'Q', 'D' → '0'; 'I', 'L' → '1'; 'B' → '8';
 * 'S' → '5'; 'Z' → '2'; 'G' → '6'); c itself for every other character. c is upper case. */
char wf_hotlist_confusion_class(char c);

/* Writes the confusion-class form of a normalised plate into out (same length as plate, so
 * outlen > strlen(plate)): two plates are confusable exactly when their class forms are equal. */
void wf_hotlist_plate_classes(const char *plate, char *out, size_t outlen);

/* Substitutions between two normalised plates: the number of positions where they differ when
 * they are confusable, -1 when they are not (other length, or a difference across classes). */
int wf_hotlist_plate_substitutions(const char *a, const char *b);

#endif
