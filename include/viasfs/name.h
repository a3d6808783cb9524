/*
 * name: the one encoder that turns a remote string (task name, camera, algorithm title,
 * state) into a valid file name. The result is valid UTF-8, has no '/', NUL or control
 * bytes, is never "", "." or "..", and is at most 255 bytes; distinct strings give distinct
 * names, and the same string always gives the same name. '%' starts every escape:
 *   - '%', '/', bytes 0x01-0x1f and 0x7f, and bytes of invalid UTF-8 become %XX (upper hex);
 *   - "" becomes "%00"; "." becomes "%2E"; ".." becomes "%2E%2E";
 *   - an encoding longer than 255 bytes is cut at a character boundary and ends in
 *     "%~" followed by 16 hex digits of the SHA-256 of the original string.
 * name_decode is not offered on purpose: names are looked up by encoding, never by decoding.
 */
#ifndef VIASFS_NAME_H
#define VIASFS_NAME_H

#include <stdbool.h>

/* Returns the encoded name of @s (NULL is treated as ""). Caller frees (g_free). */
char *name_encode(const char *s);

/* true when @name is what name_encode could have produced (a cheap validity check). */
bool name_is_valid(const char *name);

#endif
