package lsio

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

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

// parseFooter parses footer bytes. The Parquet library panics on some
// damaged footers (an unknown logical type, for one); a damaged file is an
// error like any other.
func parseFooter(footer []byte) (meta *metadata.FileMetaData, err error) {
	defer func() {
		if r := recover(); r != nil {
			meta, err = nil, fmt.Errorf("damaged footer: %v", r)
		}
	}()
	return metadata.NewFileMetaData(footer, nil)
}

// initChecked is init, with a panic of the Parquet or Arrow library on a
// damaged file turned into an error.
func (pf *ParquetFile) initChecked(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("damaged file: %v", r)
		}
	}()
	return pf.init(ctx)
}

// nextChecked advances rr, with a panic of the Parquet or Arrow library on
// damaged pages turned into an error.
func nextChecked(rr pqarrow.RecordReader) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("damaged data: %v", r)
		}
	}()
	return rr.Next(), nil
}

// recoverDamaged turns a panic of the Parquet or Arrow library on a
// damaged file into *err; deferred.
func recoverDamaged(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("damaged file: %v", r)
	}
}

// checkChunks checks that every column chunk the footer lists lies inside
// the file: the Parquet reader trusts the offsets and sizes of files from
// current writers, and a negative or oversized one makes it panic in a
// goroutine of its own, where no recover reaches.
func checkChunks(meta *metadata.FileMetaData, size int64) (err error) {
	defer recoverDamaged(&err)
	for i := range meta.NumRowGroups() {
		rg := meta.RowGroup(i)
		if rg.NumRows() < 0 {
			return fmt.Errorf("row group %d has %d rows", i, rg.NumRows())
		}
		for j := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(j)
			if err != nil {
				return fmt.Errorf("row group %d column %d: %w", i, j, err)
			}
			start := cc.DataPageOffset()
			if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && start > cc.DictionaryPageOffset() {
				start = cc.DictionaryPageOffset()
			}
			n := cc.TotalCompressedSize()
			if start < 0 || n < 0 || start > size || n > size-start {
				return fmt.Errorf("row group %d column %d: chunk at %d of %d bytes is outside the %d-byte file", i, j, start, n, size)
			}
		}
	}
	return nil
}
