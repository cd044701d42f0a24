/* util_file: reading a whole file into memory, with a size cap so a huge or
 * endless file (/dev/zero, a FIFO) ends in an error instead of eating memory. */
#ifndef UTIL_FILE_H
#define UTIL_FILE_H

#include <stddef.h>

/* The contents of path, NUL-terminated (the caller frees); *len (may be NULL)
 * gets the length without the NUL. NULL with err set ("PATH: cannot open:
 * REASON", "PATH: larger than N bytes", ...) when the file cannot be opened or
 * read, or holds more than max_bytes. */
char *util_read_file(const char *path, size_t max_bytes, size_t *len, char *err, size_t errlen);

#endif
