/**
 * Media type of a Qdrant snapshot artifact (collection snapshot `<collection>.snapshot` or full
 * storage snapshot `storage.snapshot`): a plain, uncompressed POSIX tar as Qdrant writes it
 * (protocols.md §1.2; `qdrant/qdrant:lib/common/common/src/tar_ext.rs`).
 */
export const QDRANT_SNAPSHOT_MEDIA_TYPE = 'application/x-tar';

/**
 * Media type of a portable export artifact `<collection>.ndjson`: UTF-8 newline-delimited JSON,
 * a header record, one record per point, a footer record (docs/format.md, "Qdrant").
 */
export const QDRANT_EXPORT_MEDIA_TYPE = 'application/x-ndjson';
