/* vn_basis.h -- the legal bases under which professional secrecy may be set aside (domain.md). */
#ifndef VN_BASIS_H
#define VN_BASIS_H

/* 1 if basis names one of: consent, meldrecht, advies, raad-1-240, gi-ots,
 * conflict-van-plichten, terugkoppeling. The per-basis rules (who may receive, which fields)
 * are the policy's job. */
int vn_basis_known(const char *basis);

/* The known bases, NULL-terminated, for messages. */
extern const char *const vn_bases[];

#endif
