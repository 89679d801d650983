package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	lsflight "github.com/lakesoul-io/lakesoul-flight/flightsql"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
)

const (
	prompt             = "lakesoul> "
	continuationPrompt = "      ..> "
)

// sqlConfig is the configuration of the sql sub-command.
type sqlConfig struct {
	Addr           string
	User, Password string
	TLS            bool
	TLSCA          string
	TLSSkipVerify  bool
	TLSClientCert  string
	TLSClientKey   string
	Exec           string // -e
}

var sqlGroups = []flagGroup{
	{"Connection", []string{"addr", "user", "password", "tls", "tls-ca", "tls-skip-verify", "tls-client-cert", "tls-client-key"}},
	{"Statements", []string{"e"}},
}

func parseSQLConfig(args []string, getenv func(string) string, out io.Writer) (sqlConfig, error) {
	c, rest, err := parseClientFlags("lakesoul-flight sql", args, getenv, out, nil)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q (quote the SQL and pass it with -e)", rest[0])
	}
	return c, err
}

// parseClientFlags parses the connection flags of the client sub-commands
// and returns the arguments after them; usage, when set, replaces the sql
// sub-command's help text.
func parseClientFlags(name string, args []string, getenv func(string) string, out io.Writer, usage func(io.Writer, *flag.FlagSet)) (sqlConfig, []string, error) {
	var c sqlConfig
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.Addr, "addr", defaultListen, "server `host:port`")
	fs.StringVar(&c.User, "user", "", "user `name` to log in as (with --password)")
	fs.StringVar(&c.Password, "password", "", "`password` of --user (prefer the environment variable)")
	fs.BoolVar(&c.TLS, "tls", false, "connect with TLS")
	fs.StringVar(&c.TLSCA, "tls-ca", "", "PEM CA `file` to verify the server with, instead of the system roots (implies --tls)")
	fs.BoolVar(&c.TLSSkipVerify, "tls-skip-verify", false, "do not verify the server certificate (implies --tls; testing only)")
	fs.StringVar(&c.TLSClientCert, "tls-client-cert", "", "PEM client certificate `file`, for servers that require one (implies --tls)")
	fs.StringVar(&c.TLSClientKey, "tls-client-key", "", "PEM private key `file` of --tls-client-cert")
	fs.StringVar(&c.Exec, "e", "", "run these `statements` (separated by ;) and exit; without -e statements are read from stdin")
	fs.Usage = func() {
		fmt.Fprint(out, `Usage: lakesoul-flight sql [flags]

A small Arrow Flight SQL client. Statements end with ';'. Those starting with
SELECT, WITH, VALUES, SHOW, DESCRIBE, DESC, EXPLAIN, FROM or TABLE print their rows
(a query plan as plain lines); others print the number of rows affected. USE
and SET schema change the schema later statements resolve names in. Errors go
to stderr; with -e, or with statements piped on stdin, the first error stops
and exits with status 1.

Flags can also be set through the environment variables shown; a flag wins.
`)
		printFlags(out, fs, sqlGroups)
	}
	if usage != nil {
		fs.Usage = func() { usage(out, fs) }
	}
	if err := fs.Parse(args); err != nil {
		return c, nil, err // Parse has printed the usage for -h and --help
	}
	if err := applyEnv(fs, getenv); err != nil {
		return c, nil, err
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, nil, fmt.Errorf("--addr %q: want host:port", c.Addr)
	}
	switch {
	case c.User != "" && c.Password == "":
		return c, nil, errors.New("--user needs --password or LAKESOUL_PASSWORD")
	case (c.TLSClientCert == "") != (c.TLSClientKey == ""):
		return c, nil, errors.New("--tls-client-cert and --tls-client-key go together")
	}
	if c.TLSCA != "" || c.TLSSkipVerify || c.TLSClientCert != "" {
		c.TLS = true
	}
	return c, fs.Args(), nil
}

// transportCredentials builds the client's TLS (or plaintext) credentials.
func (c sqlConfig) transportCredentials() (credentials.TransportCredentials, error) {
	if !c.TLS {
		return insecure.NewCredentials(), nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.TLSSkipVerify}
	if c.TLSCA != "" {
		pool, err := auth.CertPool(c.TLSCA)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = pool
	}
	if c.TLSClientCert != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSClientCert, c.TLSClientKey)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return credentials.NewTLS(tc), nil
}

func sqlMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, err := parseSQLConfig(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "lakesoul-flight sql: %v\n", err)
		return 2
	}
	s, err := connect(ctx, cfg, stdout, stderr)
	if err != nil {
		printError(stderr, err)
		return 1
	}
	defer s.close()
	if cfg.Exec != "" {
		stmts, rest := splitStatements(cfg.Exec)
		if !isBlankSQL(rest) {
			stmts = append(stmts, strings.TrimSpace(rest))
		}
		for _, stmt := range stmts {
			if err := s.exec(ctx, stmt); err != nil {
				printError(stderr, err)
				return 1
			}
		}
		return 0
	}
	if !s.readLoop(ctx, stdin, isTerminal(stdin)) {
		return 1
	}
	return 0
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// printError prints a call's gRPC status message and code, or the error.
func printError(w io.Writer, err error) {
	if st, ok := status.FromError(err); ok {
		fmt.Fprintf(w, "ERROR: %s (%s)\n", st.Message(), st.Code())
		return
	}
	fmt.Fprintf(w, "ERROR: %v\n", err)
}

// sqlSession is a connection of the sql sub-command. The server keeps
// session options (the current schema) in a cookie: the session takes it
// from the answer to SetSessionOptions and sends it on every later call.
type sqlSession struct {
	addr     string
	cl       *flightsql.Client
	dialOpts []grpc.DialOption
	md       metadata.MD // the bearer token after logging in, and the session cookie
	others   map[string]*flightsql.Client
	out, err io.Writer
}

func connect(ctx context.Context, cfg sqlConfig, out, errOut io.Writer) (*sqlSession, error) {
	creds, err := cfg.transportCredentials()
	if err != nil {
		return nil, err
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(lsflight.MaxMessageSize), grpc.MaxCallSendMsgSize(lsflight.MaxMessageSize)),
		grpc.WithUserAgent("lakesoul-flight-sql/" + versionString()),
	}
	cl, err := flightsql.NewClient(cfg.Addr, nil, nil, opts...)
	if err != nil {
		return nil, err
	}
	s := &sqlSession{addr: cfg.Addr, cl: cl, dialOpts: opts, md: metadata.MD{}, others: map[string]*flightsql.Client{}, out: out, err: errOut}
	if cfg.User != "" {
		actx, err := cl.Client.AuthenticateBasicToken(ctx, cfg.User, cfg.Password)
		if err != nil {
			_ = cl.Close()
			return nil, err
		}
		if md, ok := metadata.FromOutgoingContext(actx); ok {
			s.md = md.Copy()
		}
	}
	return s, nil
}

func (s *sqlSession) close() {
	for _, c := range s.others {
		_ = c.Close()
	}
	_ = s.cl.Close()
}

// callCtx attaches the session's credentials to ctx.
func (s *sqlSession) callCtx(ctx context.Context) context.Context {
	if len(s.md) == 0 {
		return ctx
	}
	return metadata.NewOutgoingContext(ctx, s.md)
}

// exec runs one statement and prints its result.
func (s *sqlSession) exec(ctx context.Context, stmt string) error {
	ctx, cancel := context.WithCancel(s.callCtx(ctx))
	defer cancel()
	if isQuery(stmt) {
		return s.query(ctx, stmt)
	}
	n, err := s.cl.ExecuteUpdate(ctx, stmt)
	if err != nil {
		return err
	}
	if schema, ok := useSchema(stmt); ok {
		// The server checked the schema; take the session cookie from a
		// unary-like call whose headers are read before it returns (an
		// update's DoPut headers reach arrow-go only when its stream is
		// collected).
		if err := s.setSchema(ctx, schema); err != nil {
			return err
		}
	}
	if n == 1 {
		_, err = fmt.Fprintln(s.out, "OK, 1 row affected")
	} else {
		_, err = fmt.Fprintf(s.out, "OK, %d rows affected\n", n)
	}
	return err
}

// useSchema returns the schema stmt switches the session to, when it is a
// USE or SET schema statement.
func useSchema(stmt string) (string, bool) {
	head := stripLeadingComments(stmt)
	if len(head) < 3 || !strings.EqualFold(head[:3], "use") && !strings.EqualFold(head[:3], "set") {
		return "", false // not worth parsing
	}
	st, err := sqlparse.Parse(stmt)
	if err != nil {
		return "", false
	}
	u, ok := st.(*sqlparse.Use)
	if !ok {
		return "", false
	}
	return u.Schema, true
}

// setSchema sets the session's "schema" option.
func (s *sqlSession) setSchema(ctx context.Context, schema string) error {
	opts, err := flight.NewSessionOptionValues(map[string]any{"schema": schema})
	if err != nil {
		return err
	}
	var header, trailer metadata.MD
	res, err := s.cl.SetSessionOptions(ctx, &flight.SetSessionOptionsRequest{SessionOptions: opts}, grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil {
		return err
	}
	if e, failed := res.GetErrors()["schema"]; failed {
		return fmt.Errorf("the server did not keep schema %q for the session: %s", schema, e.GetValue())
	}
	s.keepCookies(append(header.Get("set-cookie"), trailer.Get("set-cookie")...))
	return nil
}

// keepCookies updates the cookies the session sends from Set-Cookie lines.
func (s *sqlSession) keepCookies(lines []string) {
	jar := map[string]string{}
	for _, line := range s.md.Get("cookie") {
		if cs, err := http.ParseCookie(line); err == nil {
			for _, c := range cs {
				jar[c.Name] = c.Value
			}
		}
	}
	for _, line := range lines {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			continue
		}
		if c.MaxAge < 0 || c.Value == "" {
			delete(jar, c.Name)
		} else {
			jar[c.Name] = c.Value
		}
	}
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(jar)) {
		parts = append(parts, (&http.Cookie{Name: name, Value: jar[name]}).String())
	}
	s.md.Delete("cookie")
	if len(parts) > 0 {
		s.md.Set("cookie", strings.Join(parts, "; "))
	}
}

// query runs a query, reads every endpoint in order and prints the rows.
func (s *sqlSession) query(ctx context.Context, q string) error {
	info, err := s.cl.Execute(ctx, q)
	if err != nil {
		return err
	}
	var tbl *textTable
	if len(info.Schema) > 0 {
		schema, err := flight.DeserializeSchema(info.Schema, memory.DefaultAllocator)
		if err != nil {
			return fmt.Errorf("result schema: %w", err)
		}
		tbl = newTextTable(schema)
	}
	for _, ep := range info.Endpoint {
		cl, err := s.clientFor(ep)
		if err != nil {
			return err
		}
		rdr, err := cl.DoGet(ctx, ep.Ticket)
		if err != nil {
			return err
		}
		for rdr.Next() {
			rec := rdr.RecordBatch()
			if tbl == nil {
				tbl = newTextTable(rec.Schema())
			}
			tbl.appendRecord(rec)
		}
		err = rdr.Err()
		rdr.Release()
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
	}
	if tbl == nil {
		tbl = newTextTable(arrow.NewSchema(nil, nil))
	}
	return tbl.write(s.out)
}

// clientFor returns the client to fetch ep from: the session's own unless
// the endpoint names another server. The session's transport credentials
// are used for every server.
func (s *sqlSession) clientFor(ep *flight.FlightEndpoint) (*flightsql.Client, error) {
	var firstErr error
	for _, loc := range ep.Location {
		u, err := url.Parse(loc.Uri)
		if err != nil || strings.HasPrefix(u.Scheme, "arrow-flight-reuse-connection") || u.Host == "" || u.Host == s.addr {
			return s.cl, nil
		}
		if c, ok := s.others[u.Host]; ok {
			return c, nil
		}
		c, err := flightsql.NewClient(u.Host, nil, nil, s.dialOpts...)
		if err != nil {
			firstErr = cmpOr(firstErr, err)
			continue
		}
		s.others[u.Host] = c
		return c, nil
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return s.cl, nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// readLoop runs the statements read from in until EOF or ctx is done. When
// interactive it prompts, keeps going after errors and reports success;
// otherwise the first error stops it and it reports failure.
func (s *sqlSession) readLoop(ctx context.Context, in io.Reader, interactive bool) bool {
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64*1024), 16<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				readErr <- ctx.Err()
				return
			}
		}
		readErr <- sc.Err()
	}()

	var buf strings.Builder
	for {
		if interactive {
			p := prompt
			if !isBlankSQL(buf.String()) {
				p = continuationPrompt
			}
			fmt.Fprint(s.out, p)
		}
		var line string
		var more bool
		select {
		case <-ctx.Done():
			if interactive {
				fmt.Fprintln(s.out)
			}
			return interactive
		case line, more = <-lines:
		}
		if !more {
			break
		}
		if interactive && isBlankSQL(buf.String()) && isQuitCommand(line) {
			return true
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
		stmts, rest := splitStatements(buf.String())
		buf.Reset()
		buf.WriteString(rest)
		for _, stmt := range stmts {
			if err := s.exec(ctx, stmt); err != nil {
				printError(s.err, err)
				if !interactive {
					return false
				}
			}
		}
	}
	if interactive {
		fmt.Fprintln(s.out)
	}
	if err := <-readErr; err != nil {
		if ctx.Err() == nil {
			fmt.Fprintf(s.err, "ERROR: reading statements: %v\n", err)
		}
		return interactive
	}
	if rest := strings.TrimSpace(buf.String()); !isBlankSQL(rest) {
		if err := s.exec(ctx, rest); err != nil {
			printError(s.err, err)
			return false
		}
	}
	return true
}

// isQuitCommand reports whether line asks the interactive shell to exit.
func isQuitCommand(line string) bool {
	switch strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line), ";"))) {
	case "quit", "exit", `\q`:
		return true
	}
	return false
}

// hashPasswordMain reads a password from the first line of stdin and prints
// a users-file line for the user named by the only argument.
func hashPasswordMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") || strings.Contains(args[0], ":") {
		fmt.Fprintln(stderr, "Usage: lakesoul-flight hash-password USER < password-file\n\nReads the password from the first line of stdin and prints USER:bcrypt-hash for --users-file.")
		return 2
	}
	if isTerminal(stdin) {
		fmt.Fprint(stderr, "password (echoed): ")
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintf(stderr, "lakesoul-flight: read password: %v\n", err)
		return 1
	}
	hash, err := auth.HashPassword(strings.TrimRight(line, "\r\n"))
	if err != nil {
		fmt.Fprintf(stderr, "lakesoul-flight: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s:%s\n", args[0], hash)
	return 0
}
