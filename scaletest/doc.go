// Package scaletest proves that lakesoul-flight scales out: its test builds
// the server binary, runs three replicas as real processes over a
// three-member etcd cluster and a MinIO warehouse, and checks with arrow-go's
// Flight SQL client that tickets, tokens and writes work across replicas and
// survive the loss of a replica (SIGKILL) and of an etcd member mid-load.
//
// The package holds no code besides its test. `make test-scale` runs it
// alone; `make test` runs it with the rest of the suite.
package scaletest
