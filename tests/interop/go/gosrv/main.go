// SPDX-License-Identifier: Apache-2.0

// gosrv: the reference Go ttrpc server (containerd/ttrpc as Debian packages
// it) serving the echo test service on a Unix socket, for fusekey's C client
// to call (tests/interop, docs/interop.md).
//
//	gosrv SOCKET
//
// Stops on SIGTERM or SIGINT and removes the socket.
package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"fusekey.test/interop/rawmsg"
)

// Big replies are bounded so that a bad request cannot exhaust memory.
const bigMax = 16 << 20

func payloadOf(unmarshal func(interface{}) error) ([]byte, error) {
	var r rawmsg.Raw
	if err := unmarshal(&r); err != nil {
		return nil, err
	}
	return r.B, nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gosrv SOCKET")
		os.Exit(2)
	}
	path := os.Args[1]
	_ = os.Remove(path) // a stale socket from an earlier run
	l, err := net.Listen("unix", path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gosrv:", err)
		os.Exit(1)
	}
	s, err := ttrpc.NewServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gosrv:", err)
		os.Exit(1)
	}
	s.Register(rawmsg.EchoService, map[string]ttrpc.Method{
		rawmsg.MethodEcho: func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			p, err := payloadOf(unmarshal)
			if err != nil {
				return nil, err
			}
			return &rawmsg.Raw{B: p}, nil
		},
		rawmsg.MethodFail: func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			return nil, status.Errorf(codes.PermissionDenied, "go says no")
		},
		rawmsg.MethodMeta: func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			var vals []string
			if md, ok := ttrpc.GetMetadata(ctx); ok {
				vals, _ = md.Get(rawmsg.MetaKey)
			}
			return &rawmsg.Raw{B: []byte(strings.Join(vals, ","))}, nil
		},
		rawmsg.MethodDeadline: func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			// A well-behaved Go handler gives up once its context expired.
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if _, ok := ctx.Deadline(); ok {
				return &rawmsg.Raw{B: []byte("deadline")}, nil
			}
			return &rawmsg.Raw{B: []byte("none")}, nil
		},
		rawmsg.MethodBig: func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			p, err := payloadOf(unmarshal)
			if err != nil {
				return nil, err
			}
			if len(p) != 4 {
				return nil, status.Errorf(codes.InvalidArgument, "Big takes a 4-byte length")
			}
			n := binary.BigEndian.Uint32(p)
			if n > bigMax {
				return nil, status.Errorf(codes.InvalidArgument, "Big: at most %d bytes", bigMax)
			}
			b := make([]byte, n)
			for i := range b {
				b[i] = rawmsg.BigPattern(i)
			}
			return &rawmsg.Raw{B: b}, nil
		},
	})

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		_ = s.Close() // closes the listener, which removes the socket
	}()
	err = s.Serve(context.Background(), l)
	if err != nil && err != ttrpc.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "gosrv:", err)
		os.Exit(1)
	}
}
