/* ingest_arena.c — chunked bump allocator for per-batch event memory.
 *
 * Chunks form a singly linked list, newest first, so a mark (head chunk and its fill) is enough
 * to roll back. An allocation larger than a chunk gets a chunk of its own so a single 1 MiB
 * field never forces every later chunk to be that big. Reset keeps one standard-size chunk, so
 * a steady stream of batches stops calling malloc.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_arena.h"

#define S_ALIGN         _Alignof(max_align_t)
#define S_DEFAULT_CHUNK (64 * 1024)

typedef struct s_chunk_t {
    struct s_chunk_t *next;                     /* older chunk */
    size_t size;                                /* usable bytes in data */
    size_t used;                                /* bytes handed out from data */
    _Alignas(max_align_t) unsigned char data[]; /* the memory handed out */
} s_chunk_t;

struct ingest_arena_t {
    s_chunk_t *head;   /* chunk allocations come from */
    size_t chunk_size; /* size of a standard chunk */
    size_t used;       /* bytes handed out since the last reset */
};

ingest_arena_t *ingest_arena_new(size_t chunk_size)
{
    ingest_arena_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->chunk_size = chunk_size ? chunk_size : S_DEFAULT_CHUNK;
    return self;
}

void ingest_arena_destroy(ingest_arena_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingest_arena_t *self = *self_p;
    while (self->head) {
        s_chunk_t *next = self->head->next;
        free(self->head);
        self->head = next;
    }
    free(self);
    *self_p = NULL;
}

static s_chunk_t *s_chunk_new(size_t size)
{
    if (size > SIZE_MAX - sizeof(s_chunk_t))
        return NULL;
    s_chunk_t *chunk = malloc(sizeof *chunk + size);
    if (!chunk)
        return NULL;
    chunk->next = NULL;
    chunk->size = size;
    chunk->used = 0;
    return chunk;
}

void *ingest_arena_alloc(ingest_arena_t *self, size_t size)
{
    if (size > SIZE_MAX - S_ALIGN)
        return NULL;
    size_t rounded = (size + S_ALIGN - 1) & ~(S_ALIGN - 1);
    if (rounded == 0)
        rounded = S_ALIGN;
    s_chunk_t *chunk = self->head;
    if (!chunk || chunk->size - chunk->used < rounded) {
        /* oversized requests get a chunk of their own; the rest of the old head is given up */
        if (!(chunk = s_chunk_new(rounded > self->chunk_size ? rounded : self->chunk_size)))
            return NULL;
        chunk->next = self->head;
        self->head = chunk;
    }
    void *out = chunk->data + chunk->used;
    chunk->used += rounded;
    self->used += rounded;
    memset(out, 0, rounded);
    return out;
}

char *ingest_arena_strndup(ingest_arena_t *self, const char *text, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *out = ingest_arena_alloc(self, len + 1);
    if (!out)
        return NULL;
    if (len)
        memcpy(out, text, len);
    out[len] = '\0';
    return out;
}

char *ingest_arena_strdup(ingest_arena_t *self, const char *text)
{
    return ingest_arena_strndup(self, text, strlen(text));
}

char *ingest_arena_printf(ingest_arena_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0)
        return NULL;
    char *out = ingest_arena_alloc(self, (size_t)need + 1);
    if (!out)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(out, (size_t)need + 1, fmt, ap);
    va_end(ap);
    return out;
}

void ingest_arena_reset(ingest_arena_t *self)
{
    s_chunk_t *keep = NULL;
    while (self->head) {
        s_chunk_t *next = self->head->next;
        if (!keep && self->head->size == self->chunk_size) {
            keep = self->head;
            keep->used = 0;
            keep->next = NULL;
        } else {
            free(self->head);
        }
        self->head = next;
    }
    self->head = keep;
    self->used = 0;
}

ingest_arena_mark_t ingest_arena_mark(const ingest_arena_t *self)
{
    return (ingest_arena_mark_t){self->head, self->head ? self->head->used : 0, self->used};
}

void ingest_arena_rollback(ingest_arena_t *self, ingest_arena_mark_t mark)
{
    while (self->head && self->head != mark.chunk) {
        s_chunk_t *next = self->head->next;
        free(self->head);
        self->head = next;
    }
    if (self->head)
        self->head->used = mark.chunk_used;
    self->used = mark.used;
}

size_t ingest_arena_used(const ingest_arena_t *self)
{
    return self->used;
}
