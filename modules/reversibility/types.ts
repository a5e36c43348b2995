/**
 * Reversibility (EXG_REV_1, EXG_REV_14, EXG_REV_19, CAIH-3-1, CAIH-S3-8): the export a taker
 * ("repreneur") receives, its layout and its manifest. docs/reversibility.md.
 *
 * Layout of an export directory (every path relative, POSIX separators):
 *
 *   bootstrap.sh                       what the taker runs (written at the root by kit.ts)
 *   README.md                          what is in it, how to verify it with stock tools
 *   SHA256SUMS                         `sha256sum -c` format, every file but itself and its signature
 *   SHA256SUMS.sig                     DER ECDSA P-256 / SHA-256 signature of SHA256SUMS (HSM key)
 *   signing-cert.pem                   the signing key's certificate (listed in SHA256SUMS)
 *   manifest.json                      ExportManifest (listed in SHA256SUMS)
 *   data/<domain>/schema.sql           pg_dump --schema-only
 *   data/<domain>/<schema>.<table>.csv RFC 4180 (PostgreSQL COPY csv, HEADER; NULL = empty unquoted field)
 *   data/<domain>/<schema>.<table>.columns.json  TableDescription
 *   data/<domain>/dump.pgcustom        pg_dump -Fc, for a fast native restore
 *   data/<domain>/sequences.csv        the sequences' values (schema, sequence, last_value, is_called)
 *   documents/<domain>/<id>.cms        each document's clear content, CMS EnvelopedData (DER) for --recipient
 *   documents/index.json.cms           DocumentIndex, CMS EnvelopedData for --recipient
 *   platform/...                       environment files, rendered configuration, Terraform JSON, manifests, reports
 *   inventory/...                      cmdb.json, cmdb.csv, flows.csv, hsm-keys.json, backup-plan.json
 *   kit/hds-platform.bundle            git bundle of the toolkit at the export's commit
 *   kit/package-lock.json, kit/debian-packages.txt, kit/node-version.txt, kit/COMMIT
 */

/** One file of the export. */
export interface ExportFile {
  path: string;
  size: number;
  sha256: string;
}

/**
 * A table as the export wrote it: its row count and the SHA-256 (hex) of its CSV — the rows read
 * with data.ts copyOutStatement (exported columns, primary-key or record-text order,
 * FINGERPRINT_SETTINGS), hashed as they streamed to the file. The hash is the manifest's hash of the
 * CSV file; a copy is verified by reading its tables back the same way (data.ts contentFingerprints).
 */
export interface TableFingerprint {
  rows: number;
  hash: string;
}

export interface ColumnDescription {
  name: string;
  /** PostgreSQL type as format_type() prints it, e.g. `timestamp with time zone`, `character varying(64)`. */
  type: string;
  nullable: boolean;
  /** Position in the CSV (1-based), equal to the column's position in the table. */
  position: number;
  default?: string;
}

/** data/<domain>/<schema>.<table>.columns.json */
export interface TableDescription {
  domain: string;
  table: string;
  csv: string;
  columns: ColumnDescription[];
  primaryKey: string[];
  rows: number;
  fingerprint: TableFingerprint;
  /** How the CSV encodes values, for a taker reading it without PostgreSQL. */
  encoding: {
    standard: 'RFC 4180';
    charset: 'UTF-8';
    header: true;
    delimiter: ',';
    quote: '"';
    /** An unquoted empty field is NULL; a quoted empty field ("") is the empty string. */
    null: 'unquoted empty field';
    /** PostgreSQL's text output of each type (bytea as \x hex, timestamps ISO 8601 in UTC). */
    values: string;
    lineEnding: 'LF';
  };
}

/** documents/index.json.cms (encrypted: holds the hashes of clear contents). */
export interface DocumentIndex {
  version: 1;
  documents: Array<{ domain: string; id: string; file: string; size: number; sha256: string }>;
}

export interface ExportManifest {
  version: 1;
  kind: 'hds-platform-reversibility-export';
  environment: string;
  /** ISO 8601, when the data snapshot was taken. */
  snapshotAt: string;
  createdAt: string;
  toolkit: { commit: string; bundle: string; lockfile: string };
  databases: Array<{ domain: string; tables: Record<string, TableFingerprint & { csv: string }> }>;
  documents: { count: number; bytes: number; recipient: { subject: string; sha256: string } | null; index: string | null };
  signing: { certificate: string; keyLabel: string; algorithm: 'ECDSA-P256-SHA256' };
  /** What this export does not hold, and why (said plainly, never silently skipped). */
  notIncluded: Array<{ what: string; why: string }>;
}
