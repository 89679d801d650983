// Package ipccheck bounds-checks Arrow IPC messages before arrow-go decodes
// them. arrow-go trusts the lengths a message declares: a schema claiming a
// billion fields, or a body length of an exabyte, makes it allocate that
// much, and the process dies of it rather than returning an error. Bytes a
// client sends (DoPut streams, bound parameters) and bytes a ticket carries
// go through Message or Stream first.
//
// The check walks the FlatBuffers tables of the message kinds a Flight SQL
// stream carries (schema, dictionary batch, record batch): every offset
// must land inside the message, every vector must fit in it, nesting is
// bounded, and the buffers of a batch must lie inside its body. It does not
// judge whether the content makes sense; arrow-go does that.
package ipccheck
