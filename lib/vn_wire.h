/* vn_wire.h -- pack/unpack the broker<->agent and local API messages, refusing unknown versions. */
#ifndef VN_WIRE_H
#define VN_WIRE_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

#include "api.pb-c.h"
#include "wire.pb-c.h"

#define VN_WIRE_VERSION 1
#define VN_API_VERSION 1

/* Decode; VN_E_MALFORMED for garbage or a message without a body, VN_E_VERSION for another version.
 * *out is freed with vn__wire_message__free_unpacked / vn__api_request__free_unpacked, etc. */
int vn_wire_unpack(const uint8_t *buf, size_t len, Vn__WireMessage **out) VN_MUST_USE;
int vn_api_request_unpack(const uint8_t *buf, size_t len, Vn__ApiRequest **out) VN_MUST_USE;
int vn_api_response_unpack(const uint8_t *buf, size_t len, Vn__ApiResponse **out) VN_MUST_USE;

/* Encode with the current version set. *out is the caller's to free. 0 or -ENOMEM. */
int vn_wire_pack(Vn__WireMessage *msg, uint8_t **out, size_t *len) VN_MUST_USE;
int vn_api_request_pack(Vn__ApiRequest *msg, uint8_t **out, size_t *len) VN_MUST_USE;
int vn_api_response_pack(Vn__ApiResponse *msg, uint8_t **out, size_t *len) VN_MUST_USE;

#endif
