// Package miniotest runs a real MinIO server for tests that need
// S3-compatible object storage.
//
// Two ways to get a server:
//
//   - Start(t) launches a private server for one test and stops it through
//     t.Cleanup. Use it when a test needs isolation from every other test
//     (for example, to stop the server in the middle of the test).
//   - Shared(t) returns one server per test binary, started lazily on first
//     use. Tests isolate themselves by asking for a fresh bucket with
//     NewBucket. The test binary stops the server from TestMain.
//
// The simplest TestMain for a package using Shared is
//
//	func TestMain(m *testing.M) { miniotest.Main(m) }
//
// and with a goroutine leak check (the shared server is stopped first, so
// its client connections are gone before goleak looks):
//
//	func TestMain(m *testing.M) { goleak.VerifyTestMain(miniotest.StopAfterRun(m)) }
//
// A TestMain doing more can call StopShared itself after m.Run.
//
// A typical S3 test then needs two calls:
//
//	srv := miniotest.Shared(t)
//	bucket := srv.NewBucket(t)
//	// connect to srv.Endpoint (plain HTTP) with srv.AccessKey/srv.SecretKey
//
// The MinIO binary is found through $LAKESOUL_MINIO_BIN, then $PATH, then
// $GOPATH/bin (or $HOME/go/bin). A missing binary fails the test with the
// command that installs it; tests never skip because MinIO is absent.
//
// Invariants: every server listens on 127.0.0.1 only, keeps its data under a
// temporary directory that is removed when the server stops, and is killed
// when the test binary exits even if nobody stopped it (parent-death signal).
//
// This package imports no other package of lakesoul-flight.
package miniotest
