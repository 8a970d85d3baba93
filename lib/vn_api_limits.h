/* vn_api_limits.h -- what the agent's APIs state to IT systems, stated once: the content size
 * limit and the HTTP API's version (the agent, its HTTP API and the CLI's --json use these). */
#ifndef VN_API_LIMITS_H
#define VN_API_LIMITS_H

#define VN_API_MAX_CONTENT (512 * 1024) /* bytes of content per notification: the one size limit */
#define VN_HTTP_API_VERSION "1.0.0"     /* API-Version header, info.version, Status.apiVersion */

#endif
