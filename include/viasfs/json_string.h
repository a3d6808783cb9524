/*
 * json_string: a C string written as a JSON string literal, for the few JSON texts written by
 * hand outside the api layer (cJSON stays there): the .viasfs/events lines and the IAM token
 * request. Not a JSON writer: the caller writes the punctuation around the strings.
 */
#ifndef VIASFS_JSON_STRING_H
#define VIASFS_JSON_STRING_H

#include <glib.h>

/*
 * Appends @s to @out as a JSON string literal, quotes included; NULL appends null. '"' and
 * '\\' are escaped with a backslash, newline, carriage return and tab as \n, \r and \t, every
 * other control byte and DEL as \u00xx (lower-case hex). Each byte that is not part of valid
 * UTF-8 becomes U+FFFD; valid non-ASCII text is kept as is. Makes no copy of @s (the IAM
 * request passes a password): only @out grows.
 */
void json_string_append(GString *out, const char *s);

#endif
