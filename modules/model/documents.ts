/**
 * Size limits of the documents API, one truth for the API contract, nginx, ModSecurity and the
 * reference service (issue 11).
 *
 * 20 MiB per document: the API carries clinical documents (PDF, CDA, reports, scanned letters),
 * which are well under that; bulk files go through the platform's file-exchange channel, whose
 * CCTP limits are 200 MB over SFTP and 500 MB over PeSIT (seed 000, "tailles limites standard
 * des fichiers"), not through a JSON API. A JSON request carries the content in base64
 * (4 bytes per 3) plus the metadata fields, bounded below.
 */

/** Largest document content (decoded bytes) the API accepts. */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;

/** Room for the JSON metadata around the base64 content (title ≤ 200 chars JSON-escaped, codes, keys). */
export const DOCUMENT_METADATA_BYTES = 64 * 1024;

/** Length of the base64 encoding of `bytes` bytes (standard alphabet, padded). */
export function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

/** Largest request body of `POST /documents`: the base64 content of the largest document plus metadata. */
export const MAX_DOCUMENT_REQUEST_BYTES = base64Length(MAX_DOCUMENT_BYTES) + DOCUMENT_METADATA_BYTES;
