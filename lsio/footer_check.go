package lsio

import (
	"encoding/base64"
	"fmt"

	"github.com/apache/arrow-go/v18/parquet/metadata"

	"github.com/lakesoul-io/lakesoul-flight/internal/ipccheck"
)

// checkEmbeddedSchema checks the Arrow schema a Parquet writer may store in
// the footer's key-value metadata, which the Arrow reader decodes trusting
// its lengths: a damaged or hostile file could make it allocate without
// bound. A schema that does not pass is an error, like a damaged footer.
func checkEmbeddedSchema(meta *metadata.FileMetaData) error {
	kv := meta.KeyValueMetadata()
	if kv == nil {
		return nil
	}
	v := kv.FindValue(arrowSchemaKey)
	if v == nil {
		return nil
	}
	// Decoded as the Arrow reader decodes it: padded base64, else raw.
	var decoded []byte
	var err error
	if len(*v)%4 == 0 {
		decoded, err = base64.StdEncoding.DecodeString(*v)
	}
	if len(decoded) == 0 || err != nil {
		if decoded, err = base64.RawStdEncoding.DecodeString(*v); err != nil {
			return nil // the reader fails on it with an error of its own
		}
	}
	if err := ipccheck.Stream(decoded); err != nil {
		return fmt.Errorf("the footer's %s metadata: %w", arrowSchemaKey, err)
	}
	return nil
}
