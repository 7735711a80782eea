/* token.c — API bearer tokens (see token.h). */
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include <wf/err.h>
#include <wf/token.h>

static const char s_base64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int wf_token_generate(char *out, size_t len)
{
    uint8_t random[33]; /* 32 used; 33 is a multiple of 3 so the loop below needs no padding */
    if (len < WF_TOKEN_LEN + 1)
        return WF_ERANGE;
    size_t got = 0;
    while (got < 32) {
        ssize_t n = getrandom(random + got, 32 - got, 0);
        if (n <= 0)
            return WF_EIO;
        got += (size_t)n;
    }
    random[32] = 0;
    char *p = out + strlen(WF_TOKEN_PREFIX);
    memcpy(out, WF_TOKEN_PREFIX, strlen(WF_TOKEN_PREFIX));
    for (size_t i = 0; i < 33; i += 3) {
        uint32_t v = (uint32_t)random[i] << 16 | (uint32_t)random[i + 1] << 8 | random[i + 2];
        *p++ = s_base64url[v >> 18 & 63];
        *p++ = s_base64url[v >> 12 & 63];
        *p++ = s_base64url[v >> 6 & 63];
        *p++ = s_base64url[v & 63];
    }
    out[WF_TOKEN_LEN] = '\0'; /* 32 bytes are 43 characters; the 44th only encodes the pad */
    return WF_OK;
}

bool wf_token_well_formed(const char *text)
{
    size_t prefix = strlen(WF_TOKEN_PREFIX);
    if (!text || strlen(text) != WF_TOKEN_LEN || strncmp(text, WF_TOKEN_PREFIX, prefix) != 0)
        return false;
    for (const char *p = text + prefix; *p; p++)
        if (!strchr(s_base64url, *p))
            return false;
    return true;
}

int wf_token_sha256(const char *token, uint8_t out[WF_TOKEN_SHA_LEN])
{
    unsigned int len = 0;
    if (!EVP_Digest(token, strlen(token), out, &len, EVP_sha256(), NULL) || len != WF_TOKEN_SHA_LEN)
        return WF_EIO;
    return WF_OK;
}
