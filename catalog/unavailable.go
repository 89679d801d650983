package catalog

import (
	"errors"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
)

// IsUnavailable reports whether err is etcd being briefly unable to serve:
// a leader election, a lost leader or quorum, a member stopping, a request
// timing out inside the cluster. Such a call may succeed when sent again,
// possibly to another member; a commit that failed this way may have been
// applied all the same.
func IsUnavailable(err error) bool {
	var ee rpctypes.EtcdError
	if !errors.As(err, &ee) {
		return false
	}
	switch ee.Code() {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}
