/* token.h — API bearer tokens: how they look, how they are made and how they are stored.
 *
 * A token is "wft_" followed by 43 base64url characters (32 bytes from the kernel's CSPRNG).
 * Only its SHA-256 is stored (api_tokens.secret_sha256): the secrets are random, so a plain
 * hash suffices — there is nothing to guess that a slow password hash would protect.
 */
#ifndef WF_TOKEN_H
#define WF_TOKEN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WF_TOKEN_PREFIX  "wft_"
#define WF_TOKEN_LEN     47 /* prefix + 43 base64url characters, without the NUL */
#define WF_TOKEN_SHA_LEN 32

/* Writes a new token into out (at least WF_TOKEN_LEN + 1 bytes). Returns 0 or WF_EIO. */
int wf_token_generate(char *out, size_t len);

/* True when text has the shape of a token (prefix, length, alphabet). Cheap: lets a server
 * refuse garbage before hashing or touching the database. */
bool wf_token_well_formed(const char *text);

/* SHA-256 of the token text. Returns 0 or WF_EIO. */
int wf_token_sha256(const char *token, uint8_t out[WF_TOKEN_SHA_LEN]);

#endif
