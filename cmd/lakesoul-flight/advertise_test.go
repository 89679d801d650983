package main

import (
	"io"
	"strings"
	"testing"
)

func TestAdvertise(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		location string // "" with err set: parsing fails with err in the message
		err      string
	}{
		{name: "unset", location: ""},
		{name: "flag", args: []string{"--advertise", "replica-1.lakesoul.svc:32010"}, location: "grpc://replica-1.lakesoul.svc:32010"},
		{name: "env", env: map[string]string{"LAKESOUL_ADVERTISE": "10.1.2.3:32010"}, location: "grpc://10.1.2.3:32010"},
		{name: "flag wins", args: []string{"--advertise=a.example:1"}, env: map[string]string{"LAKESOUL_ADVERTISE": "b.example:2"}, location: "grpc://a.example:1"},
		{name: "ipv6", args: []string{"--advertise", "[fd00::7]:32010"}, location: "grpc://[fd00::7]:32010"},
		{name: "tls", args: []string{"--advertise", "db.example:443", "--tls-cert", "c.pem", "--tls-key", "k.pem"}, location: "grpc+tls://db.example:443"},
		{name: "no port", args: []string{"--advertise", "db.example"}, err: "want host:port"},
		{name: "port zero", args: []string{"--advertise", "db.example:0"}, err: "not a port number"},
		{name: "named port", args: []string{"--advertise", "db.example:grpc"}, err: "not a port number"},
		{name: "wildcard v4", args: []string{"--advertise", "0.0.0.0:32010"}, err: "cannot dial"},
		{name: "wildcard v6", args: []string{"--advertise", "[::]:32010"}, err: "cannot dial"},
		{name: "no host", args: []string{"--advertise", ":32010"}, err: "cannot dial"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseServeConfig(tc.args, env(tc.env), io.Discard)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "--advertise") {
					t.Fatalf("err = %v, want one about --advertise containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := endpointLocation(c); got != tc.location {
				t.Fatalf("endpoint location %q, want %q", got, tc.location)
			}
		})
	}
}
