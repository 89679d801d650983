package catalog

import (
	"errors"
	"fmt"
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
)

func TestIsUnavailable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("catalog: read table x: %w", rpctypes.ErrLeaderChanged), true},
		{rpctypes.ErrNoLeader, true},
		{rpctypes.ErrStopped, true},
		{rpctypes.ErrTimeout, true},
		{rpctypes.ErrTimeoutDueToLeaderFail, true},
		{rpctypes.ErrTimeoutDueToConnectionLost, true},
		{rpctypes.ErrCompacted, false},
		{rpctypes.ErrTooManyOps, false},
		{rpctypes.ErrRequestTooLarge, false},
		{ErrVersionMismatch, false},
		{errors.New("etcdserver: leader changed"), false}, // only etcd's own errors count
		{nil, false},
	} {
		if got := IsUnavailable(tc.err); got != tc.want {
			t.Errorf("IsUnavailable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
