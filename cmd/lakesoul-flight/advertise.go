package main

import (
	"fmt"
	"net"
	"strconv"
)

// checkAdvertise validates --advertise: empty, or a host:port that clients
// can dial (a named or numeric host, never a wildcard address, and a port).
func checkAdvertise(addr string) error {
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--advertise %q: want host:port: %v", addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return fmt.Errorf("--advertise %q: %q is not a port number", addr, port)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return fmt.Errorf("--advertise %q: clients cannot dial host %q; give the name or address they reach this replica at", addr, host)
	}
	return nil
}

// endpointLocation is the location query endpoints carry: the advertised
// address with the scheme of the listener, or "" (no location: clients
// redeem tickets at the server they asked) without --advertise.
func endpointLocation(c serveConfig) string {
	if c.Advertise == "" {
		return ""
	}
	if c.tls() {
		return "grpc+tls://" + c.Advertise
	}
	return "grpc://" + c.Advertise
}
