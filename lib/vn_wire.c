/* vn_wire.c -- versioned protobuf codecs for the wire and local API messages. */
#include "vn_wire.h"
#include "vn_error.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

/* Pack any protobuf-c message after its version field was set. */
static int s_pack(const ProtobufCMessage *msg, uint8_t **out, size_t *len)
{
    assert(msg && out && len);
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return -ENOMEM;
    protobuf_c_message_pack(msg, buf);
    *out = buf;
    *len = n;
    return 0;
}

int vn_wire_pack(Vn__WireMessage *msg, uint8_t **out, size_t *len)
{
    msg->version = VN_WIRE_VERSION;
    return s_pack(&msg->base, out, len);
}

int vn_api_request_pack(Vn__ApiRequest *msg, uint8_t **out, size_t *len)
{
    msg->version = VN_API_VERSION;
    return s_pack(&msg->base, out, len);
}

int vn_api_response_pack(Vn__ApiResponse *msg, uint8_t **out, size_t *len)
{
    msg->version = VN_API_VERSION;
    return s_pack(&msg->base, out, len);
}

/* Unpack any versioned message whose field 1 is `version` and whose body is a oneof. */
static int s_unpack(const ProtobufCMessageDescriptor *desc, uint32_t version, const uint8_t *buf,
                    size_t len, void **out)
{
    assert(out && (buf || len == 0));
    *out = NULL;
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, len, buf);
    if (!m)
        return VN_E_MALFORMED;
    const ProtobufCFieldDescriptor *vf =
        protobuf_c_message_descriptor_get_field_by_name(desc, "version");
    uint32_t got = *(const uint32_t *)((const char *)m + vf->offset);
    uint32_t body_case = 0;
    for (unsigned i = 0; i < desc->n_fields; i++)
        if (desc->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            body_case = *(const uint32_t *)((const char *)m + desc->fields[i].quantifier_offset);
            break;
        }
    int rc = got != version ? VN_E_VERSION : body_case == 0 ? VN_E_MALFORMED : 0;
    if (rc != 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        return rc;
    }
    *out = m;
    return 0;
}

int vn_wire_unpack(const uint8_t *buf, size_t len, Vn__WireMessage **out)
{
    return s_unpack(&vn__wire_message__descriptor, VN_WIRE_VERSION, buf, len, (void **)out);
}

int vn_api_request_unpack(const uint8_t *buf, size_t len, Vn__ApiRequest **out)
{
    return s_unpack(&vn__api_request__descriptor, VN_API_VERSION, buf, len, (void **)out);
}

int vn_api_response_unpack(const uint8_t *buf, size_t len, Vn__ApiResponse **out)
{
    return s_unpack(&vn__api_response__descriptor, VN_API_VERSION, buf, len, (void **)out);
}
