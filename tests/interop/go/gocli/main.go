// SPDX-License-Identifier: Apache-2.0

// gocli: a client built on the reference Go ttrpc (containerd/ttrpc as
// Debian packages it), to call fusekey's C ttrpc server and fusekeyd
// (tests/interop, docs/interop.md).
//
//	gocli echo SOCKET HEX
//	    prints the reply payload as hex
//	gocli call [-md KEY=VALUE]... [-timeout DURATION] SOCKET SERVICE METHOD HEX
//	    prints "code=<n> message=<m> payload=<hex>" (exit 0 whatever the code)
//	gocli big SOCKET N
//	    calls Big for N bytes, then Echo on the same connection:
//	    "code=<n> message=<m> len=<n> pattern=<ok|bad> then=<ok|error>"
//	gocli oversize SOCKET N
//	    Echo of N bytes (sent even over 4 MiB, as Go 1.1 does), then a small
//	    Echo on the same connection: "code=<n> message=<m> then=<ok|error>"
//	gocli keysession [-replay] [-launch-digest HEX] SOCKET CONTAINER_ID HELPER [ARG]...
//	    a fusekey.v1.KeyService session whose local attestation messages come
//	    from HELPER (la_app, speaking "msg1/msg2/msg3 record/key" lines on its
//	    stdin/stdout); prints "key=<hex>", or "code=<n> message=<m>" (exit 3)
//	    when the service refuses. -replay sends the same Exchange again
//	    afterwards and prints "replay code=<n> message=<m>".
//	gocli bench SOCKET CALLS SIZE CONCURRENCY
//	    Echo round trips on one connection; prints the rate
//
// Exit: 0 done, 1 an unexpected reply, 2 usage or transport error, 3 refused.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/status"

	"fusekey.test/interop/rawmsg"
)

func die(code int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "gocli: "+format+"\n", args...)
	os.Exit(code)
}

func dial(path string) *ttrpc.Client {
	conn, err := net.Dial("unix", path)
	if err != nil {
		die(2, "connect %s: %v", path, err)
	}
	return ttrpc.NewClient(conn)
}

// statusOf splits a Call error into the ttrpc status it carries; a transport
// error (not a status) ends the program.
func statusOf(err error) (int, string) {
	if err == nil {
		return 0, ""
	}
	s, ok := status.FromError(err)
	if !ok {
		die(2, "transport error: %v", err)
	}
	return int(s.Code()), s.Message()
}

func mustHex(s string) []byte {
	b, err := rawmsg.Hex(s)
	if err != nil {
		die(2, "%v", err)
	}
	return b
}

type mdFlag []string

func (m *mdFlag) String() string     { return strings.Join(*m, ",") }
func (m *mdFlag) Set(v string) error { *m = append(*m, v); return nil }

func cmdEcho(args []string) {
	if len(args) != 2 {
		die(2, "usage: echo SOCKET HEX")
	}
	c := dial(args[0])
	defer c.Close()
	var resp rawmsg.Raw
	err := c.Call(context.Background(), rawmsg.EchoService, rawmsg.MethodEcho,
		&rawmsg.Raw{B: mustHex(args[1])}, &resp)
	if code, msg := statusOf(err); code != 0 {
		die(1, "code=%d message=%s", code, msg)
	}
	fmt.Printf("%x\n", resp.B)
}

func cmdCall(args []string) {
	fs := flag.NewFlagSet("call", flag.ExitOnError)
	var md mdFlag
	fs.Var(&md, "md", "KEY=VALUE metadata (repeatable)")
	timeout := fs.Duration("timeout", 0, "call deadline (sent as timeout_nano)")
	_ = fs.Parse(args)
	if fs.NArg() != 4 {
		die(2, "usage: call [-md K=V]... [-timeout D] SOCKET SERVICE METHOD HEX")
	}
	a := fs.Args()
	ctx := context.Background()
	if len(md) > 0 {
		m := ttrpc.MD{}
		for _, kv := range md {
			i := strings.IndexByte(kv, '=')
			if i < 0 {
				die(2, "-md wants KEY=VALUE, got %q", kv)
			}
			m.Append(kv[:i], kv[i+1:])
		}
		ctx = ttrpc.WithMetadata(ctx, m)
	}
	if *timeout != 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	c := dial(a[0])
	defer c.Close()
	var resp rawmsg.Raw
	err := c.Call(ctx, a[1], a[2], &rawmsg.Raw{B: mustHex(a[3])}, &resp)
	code, msg := statusOf(err)
	fmt.Printf("code=%d message=%s payload=%x\n", code, msg, resp.B)
}

// thenEcho: is the connection still usable after what came before?
func thenEcho(c *ttrpc.Client) string {
	var resp rawmsg.Raw
	err := c.Call(context.Background(), rawmsg.EchoService, rawmsg.MethodEcho,
		&rawmsg.Raw{B: []byte("still there")}, &resp)
	if err != nil || string(resp.B) != "still there" {
		return fmt.Sprintf("error(%v)", err)
	}
	return "ok"
}

func cmdBig(args []string) {
	var n uint32
	if len(args) != 2 {
		die(2, "usage: big SOCKET N")
	}
	if _, err := fmt.Sscan(args[1], &n); err != nil {
		die(2, "N: %v", err)
	}
	c := dial(args[0])
	defer c.Close()
	req := make([]byte, 4)
	binary.BigEndian.PutUint32(req, n)
	var resp rawmsg.Raw
	code, msg := statusOf(c.Call(context.Background(), rawmsg.EchoService, rawmsg.MethodBig,
		&rawmsg.Raw{B: req}, &resp))
	pattern := "ok"
	for i, b := range resp.B {
		if b != rawmsg.BigPattern(i) {
			pattern = "bad"
			break
		}
	}
	fmt.Printf("code=%d message=%s len=%d pattern=%s then=%s\n", code, msg, len(resp.B),
		pattern, thenEcho(c))
}

func cmdOversize(args []string) {
	var n int
	if len(args) != 2 {
		die(2, "usage: oversize SOCKET N")
	}
	if _, err := fmt.Sscan(args[1], &n); err != nil || n < 0 {
		die(2, "N: %v", err)
	}
	c := dial(args[0])
	defer c.Close()
	var resp rawmsg.Raw
	code, msg := statusOf(c.Call(context.Background(), rawmsg.EchoService, rawmsg.MethodEcho,
		&rawmsg.Raw{B: make([]byte, n)}, &resp))
	fmt.Printf("code=%d message=%s then=%s\n", code, msg, thenEcho(c))
}

// helper drives the app-enclave process over its line protocol.
type helper struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startHelper(argv []string) *helper {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		die(2, "helper: %v", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		die(2, "helper: %v", err)
	}
	if err := cmd.Start(); err != nil {
		die(2, "helper %s: %v", argv[0], err)
	}
	return &helper{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<16)}
}

// ask sends one line and expects one answer "<want> <hex>".
func (h *helper) ask(line, want string) []byte {
	if _, err := io.WriteString(h.in, line+"\n"); err != nil {
		die(2, "helper: write: %v", err)
	}
	ans, err := h.out.ReadString('\n')
	if err != nil {
		die(1, "helper: no answer to %s: %v", strings.SplitN(line, " ", 2)[0], err)
	}
	f := strings.Fields(ans)
	if len(f) != 2 || f[0] != want {
		die(1, "helper: want %q, got %q", want, strings.TrimSpace(ans))
	}
	b, err := hex.DecodeString(f[1])
	if err != nil {
		die(1, "helper: bad hex: %v", err)
	}
	return b
}

func cmdKeysession(args []string) {
	fs := flag.NewFlagSet("keysession", flag.ExitOnError)
	replay := fs.Bool("replay", false, "send the Exchange again afterwards")
	digest := fs.String("launch-digest", "", "launch digest (64 hex digits)")
	_ = fs.Parse(args)
	if fs.NArg() < 3 {
		die(2, "usage: keysession [-replay] [-launch-digest HEX] SOCKET CONTAINER_ID HELPER [ARG]...")
	}
	a := fs.Args()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := dial(a[0])
	defer c.Close()

	var open rawmsg.OpenResponse
	if code, msg := statusOf(c.Call(ctx, rawmsg.KeyService, "Open", &rawmsg.OpenRequest{}, &open)); code != 0 {
		fmt.Printf("code=%d message=%s\n", code, msg)
		os.Exit(3)
	}
	if len(open.SessionId) != 16 || len(open.Msg1) != 576 {
		die(1, "Open: session_id %d bytes, msg1 %d bytes (want 16, 576)", len(open.SessionId), len(open.Msg1))
	}
	h := startHelper(a[2:])
	msg2 := h.ask(fmt.Sprintf("msg1 %x", open.Msg1), "msg2")
	req := &rawmsg.ExchangeRequest{
		SessionId:    open.SessionId,
		Msg2:         msg2,
		ContainerId:  a[1],
		LaunchDigest: mustHex(*digest),
	}
	var ex rawmsg.ExchangeResponse
	if code, msg := statusOf(c.Call(ctx, rawmsg.KeyService, "Exchange", req, &ex)); code != 0 {
		_ = h.in.Close()
		_ = h.cmd.Wait()
		fmt.Printf("code=%d message=%s\n", code, msg)
		os.Exit(3)
	}
	key := h.ask(fmt.Sprintf("msg3 %x record %x", ex.Msg3, ex.KeyRecord), "key")
	_ = h.in.Close()
	if err := h.cmd.Wait(); err != nil {
		die(1, "helper: %v", err)
	}
	fmt.Printf("key=%x\n", key)
	if *replay {
		var again rawmsg.ExchangeResponse
		code, msg := statusOf(c.Call(ctx, rawmsg.KeyService, "Exchange", req, &again))
		fmt.Printf("replay code=%d message=%s\n", code, msg)
	}
}

func cmdBench(args []string) {
	var calls, size, conc int
	if len(args) != 4 {
		die(2, "usage: bench SOCKET CALLS SIZE CONCURRENCY")
	}
	if _, err := fmt.Sscan(args[1], &calls); err != nil || calls < 1 {
		die(2, "CALLS: a positive number")
	}
	if _, err := fmt.Sscan(args[2], &size); err != nil || size < 0 {
		die(2, "SIZE: a number")
	}
	if _, err := fmt.Sscan(args[3], &conc); err != nil || conc < 1 || conc > calls {
		die(2, "CONCURRENCY: 1..CALLS")
	}
	c := dial(args[0])
	defer c.Close()
	payload := bytes.Repeat([]byte{0x5a}, size)
	// Warm up (connection, buffers) outside the measurement.
	for i := 0; i < 100; i++ {
		var r rawmsg.Raw
		_ = c.Call(context.Background(), rawmsg.EchoService, rawmsg.MethodEcho, &rawmsg.Raw{B: payload}, &r)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	errors := 0
	start := time.Now()
	for g := 0; g < conc; g++ {
		n := calls / conc
		if g < calls%conc {
			n++
		}
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			bad := 0
			for i := 0; i < n; i++ {
				var r rawmsg.Raw
				err := c.Call(context.Background(), rawmsg.EchoService, rawmsg.MethodEcho,
					&rawmsg.Raw{B: payload}, &r)
				if err != nil || !bytes.Equal(r.B, payload) {
					bad++
				}
			}
			mu.Lock()
			errors += bad
			mu.Unlock()
		}(n)
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	fmt.Printf("calls=%d conc=%d size=%d seconds=%.3f calls_per_s=%.0f us_per_call=%.1f errors=%d\n",
		calls, conc, size, el, float64(calls)/el, el*1e6*float64(conc)/float64(calls), errors)
	if errors != 0 {
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) < 2 {
		die(2, "usage: gocli echo|call|big|oversize|keysession|bench ... (see the source)")
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "echo":
		cmdEcho(args)
	case "call":
		cmdCall(args)
	case "big":
		cmdBig(args)
	case "oversize":
		cmdOversize(args)
	case "keysession":
		cmdKeysession(args)
	case "bench":
		cmdBench(args)
	default:
		die(2, "unknown command %q", os.Args[1])
	}
}
