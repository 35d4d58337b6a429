package main

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// servePprof serves the runtime profiles (net/http/pprof) on addr, a
// loopback address, for the benchmark and for people chasing a hotspot; it
// logs "pprof listening" with the address (addr may end in :0). With addr ""
// it does nothing. It never stops the server it serves beside: a failure is
// logged. The returned func stops serving.
func servePprof(addr string, logger *slog.Logger) (stop func()) {
	if addr == "" {
		return func() {}
	}
	ln, err := listenLoopback(addr)
	if err != nil {
		logger.Error("pprof not served", "addr", addr, "error", err)
		return func() {}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // heap, allocs, goroutine, block, mutex, ...
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	logger.Info("pprof listening", "addr", ln.Addr().String())
	return func() { srv.Close() }
}

// listenLoopback listens on addr if its host is a loopback address: the
// profiles show internals, so they are never served to the network.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, errors.New("--pprof-addr must be a loopback address (127.0.0.1:PORT)")
	}
	return net.Listen("tcp", addr)
}
