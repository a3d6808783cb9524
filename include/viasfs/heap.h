/*
 * heap: how the daemon uses glibc's malloc. Its threads come and go (FUSE workers above
 * libfuse's idle limit, thread-pool threads, a walk's next-page thread); with glibc's defaults
 * the resident size grew by a third in a 300 s soak while the live heap stayed flat
 * (bench/RELIABILITY.md, the soak). heap_setup fixes the allocator's settings; the trimmer
 * gives free memory back to the system once a minute.
 */
#ifndef VIASFS_HEAP_H
#define VIASFS_HEAP_H

#include <stddef.h>

/*
 * One arena: free memory is held once, not in up to 8 arenas per CPU. The mmap threshold
 * fixed at glibc's own starting value (128 KiB): left dynamic, it rises to the size of the
 * largest mapped block freed (a FUSE worker's 1 MiB receive buffer, when its thread exits),
 * and from then on blocks up to that size are carved from the heap, whose holes stay
 * resident. Call first in main(), before any thread starts.
 */
void heap_setup(void);

/*
 * Starts the trimmer thread: malloc_trim(0) once a minute. By itself glibc gives back only
 * the free memory at the top of the heap; a burst of concurrent requests leaves free pages
 * below live blocks, resident until trimmed (RSS stepped up by about 1 MB at each load peak
 * without it). Call after daemonizing (threads do not survive a fork). One per process.
 */
void heap_trimmer_start(void);

/* Ends the trimmer thread, if it was started. */
void heap_trimmer_stop(void);

/* An answer at least this long leaves heap_trim_after_parse to its parser. */
#define HEAP_LARGE_ANSWER (1024 * 1024)

/*
 * Gives free memory back now, after parsing an answer of @answer_bytes, when that is at least
 * HEAP_LARGE_ANSWER. A parse tree costs many times its text (cJSON spends about 80 bytes on
 * each value: a 61 MB answer of "[0,0,...]" took 2.5 GB) in small blocks from the heap; once
 * freed they stay resident until trimmed, since the blocks of the task kept from the answer
 * sit above them. Thread-safe.
 */
void heap_trim_after_parse(size_t answer_bytes);

#endif
