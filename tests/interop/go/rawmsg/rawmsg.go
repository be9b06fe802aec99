// SPDX-License-Identifier: Apache-2.0

// Package rawmsg holds what the interop peers share: a pass-through message
// that carries any payload through the ttrpc codec (so no .proto has to be
// generated on the Go side), the fusekey.v1.KeyService messages declared with
// struct tags (gogo's table-driven codec reads the tags, as it does for
// generated code), and the names of the echo test service.
package rawmsg

import (
	"encoding/hex"
	"fmt"
)

// Raw is sent and received as its bytes, unchanged: gogo's proto.Marshal and
// proto.Unmarshal use a message's own Marshal/Unmarshal methods when it has them.
type Raw struct{ B []byte }

func (r *Raw) Reset()                   { r.B = nil }
func (r *Raw) String() string           { return fmt.Sprintf("%x", r.B) }
func (r *Raw) ProtoMessage()            {}
func (r *Raw) Marshal() ([]byte, error) { return r.B, nil }
func (r *Raw) Unmarshal(b []byte) error { r.B = append([]byte(nil), b...); return nil }

// The echo service both echo servers (gosrv, c_echo_server) implement.
const (
	EchoService = "fusekey.test.Echo"
	// Echo returns the payload.
	MethodEcho = "Echo"
	// Fail answers PermissionDenied (7): "go says no" / "c says no" (the C
	// server uses a non-empty payload as the message, to test UTF-8 handling).
	MethodFail = "Fail"
	// Meta returns the values of metadata key "fk-test", joined by ",".
	MethodMeta = "Meta"
	// Deadline returns "deadline" when the request carried a timeout, else
	// "none"; an already expired request gets DeadlineExceeded (4).
	MethodDeadline = "Deadline"
	// Big returns N bytes (N = the payload as a 4-byte big-endian integer).
	MethodBig = "Big"
	MetaKey   = "fk-test"
)

// BigPattern is byte i of a Big reply (so a reply can be checked cheaply).
func BigPattern(i int) byte { return byte(i*7 + 3) }

// ---- fusekey.v1.KeyService (proto/fusekey/v1/keyservice.proto) ----

const KeyService = "fusekey.v1.KeyService"

type OpenRequest struct{}

func (m *OpenRequest) Reset()         { *m = OpenRequest{} }
func (m *OpenRequest) String() string { return "OpenRequest{}" }
func (m *OpenRequest) ProtoMessage()  {}

type OpenResponse struct {
	SessionId []byte `protobuf:"bytes,1,opt,name=session_id,json=sessionId,proto3"`
	Msg1      []byte `protobuf:"bytes,2,opt,name=msg1,proto3"`
}

func (m *OpenResponse) Reset() { *m = OpenResponse{} }
func (m *OpenResponse) String() string {
	return fmt.Sprintf("OpenResponse{session_id:%x msg1:%d bytes}", m.SessionId, len(m.Msg1))
}
func (m *OpenResponse) ProtoMessage() {}

type ExchangeRequest struct {
	SessionId    []byte `protobuf:"bytes,1,opt,name=session_id,json=sessionId,proto3"`
	Msg2         []byte `protobuf:"bytes,2,opt,name=msg2,proto3"`
	ContainerId  string `protobuf:"bytes,3,opt,name=container_id,json=containerId,proto3"`
	LaunchDigest []byte `protobuf:"bytes,4,opt,name=launch_digest,json=launchDigest,proto3"`
}

func (m *ExchangeRequest) Reset() { *m = ExchangeRequest{} }
func (m *ExchangeRequest) String() string {
	return fmt.Sprintf("ExchangeRequest{container_id:%q}", m.ContainerId)
}
func (m *ExchangeRequest) ProtoMessage() {}

type ExchangeResponse struct {
	Msg3      []byte `protobuf:"bytes,1,opt,name=msg3,proto3"`
	KeyRecord []byte `protobuf:"bytes,2,opt,name=key_record,json=keyRecord,proto3"`
}

func (m *ExchangeResponse) Reset() { *m = ExchangeResponse{} }
func (m *ExchangeResponse) String() string {
	return fmt.Sprintf("ExchangeResponse{msg3:%d bytes key_record:%d bytes}", len(m.Msg3), len(m.KeyRecord))
}
func (m *ExchangeResponse) ProtoMessage() {}

// Hex decodes a command-line hex argument ("" is zero bytes).
func Hex(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not hex: %q: %w", s, err)
	}
	return b, nil
}
