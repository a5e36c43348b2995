/**
 * The tables of the synthetic dataset, grouped by business domain: one PostgreSQL database
 * (or schema) per domain, as in production (environments/production.yaml: accounts, documents,
 * consents, messaging, agenda, traces). Keys, indexes and foreign keys are created after the
 * load (EXG_ENV_15: fast loads); foreign keys exist only inside a domain, as production has no
 * cross-database constraint. Cross-domain references are checked by the integration tests.
 */
export type ColumnType = 'bigint' | 'integer' | 'text' | 'date' | 'timestamptz' | 'boolean';

export interface Column {
  name: string;
  type: ColumnType;
  nullable?: boolean;
}

export interface TableDef {
  /** Position in TABLES; rows are emitted with this index. */
  index: number;
  domain: Domain;
  name: string;
  columns: Column[];
  primaryKey: string[];
  indexes: string[][];
  foreignKeys: Array<{ columns: string[]; table: string; references: string[] }>;
  /** The column holding the owning entity (user or professional) id: rows are ordered by it. */
  entityColumn: string;
  entity: 'user' | 'professional';
}

export const DOMAINS = ['accounts', 'documents', 'consents', 'messaging', 'agenda', 'traces'] as const;
export type Domain = (typeof DOMAINS)[number];

const c = (name: string, type: ColumnType, nullable = false): Column => ({ name, type, nullable });

type Spec = Omit<TableDef, 'index'>;

const SPECS: Spec[] = [
  {
    domain: 'accounts',
    name: 'users',
    columns: [c('id', 'bigint'), c('ins', 'text'), c('status', 'text'), c('enrolled_at', 'timestamptz'), c('activated_at', 'timestamptz', true), c('closed_at', 'timestamptz', true)],
    primaryKey: ['id'],
    indexes: [['ins'], ['status']],
    foreignKeys: [],
    entityColumn: 'id',
    entity: 'user',
  },
  {
    domain: 'accounts',
    name: 'identities',
    columns: [
      c('user_id', 'bigint'),
      c('ins_nir', 'text'),
      c('ins_oid', 'text'),
      c('birth_family_name', 'text'),
      c('used_family_name', 'text', true),
      c('first_names', 'text'),
      c('first_name', 'text'),
      c('sex', 'text'),
      c('birth_date', 'date'),
      c('birth_place_code', 'text'),
      c('birth_country', 'text'),
    ],
    primaryKey: ['user_id'],
    indexes: [['ins_nir'], ['birth_family_name', 'first_name']],
    foreignKeys: [{ columns: ['user_id'], table: 'users', references: ['id'] }],
    entityColumn: 'user_id',
    entity: 'user',
  },
  {
    domain: 'accounts',
    name: 'contacts',
    columns: [
      c('user_id', 'bigint'),
      c('email', 'text', true),
      c('mobile', 'text', true),
      c('address_line', 'text'),
      c('postcode', 'text'),
      c('city', 'text'),
      c('departement', 'text'),
      c('notification_channel', 'text'),
      c('language', 'text'),
      c('newsletter', 'boolean'),
    ],
    primaryKey: ['user_id'],
    indexes: [['email']],
    foreignKeys: [{ columns: ['user_id'], table: 'users', references: ['id'] }],
    entityColumn: 'user_id',
    entity: 'user',
  },
  {
    domain: 'accounts',
    name: 'professionals',
    columns: [
      c('id', 'bigint'),
      c('rpps', 'text'),
      c('idnps', 'text'),
      c('family_name', 'text'),
      c('first_name', 'text'),
      c('sex', 'text'),
      c('profession_code', 'text'),
      c('profession', 'text'),
      c('specialty', 'text', true),
      c('practice_departement', 'text'),
      c('practice_city', 'text'),
      c('practice_postcode', 'text'),
      c('mssante_address', 'text'),
    ],
    primaryKey: ['id'],
    indexes: [['rpps'], ['family_name', 'first_name']],
    foreignKeys: [],
    entityColumn: 'id',
    entity: 'professional',
  },
  {
    domain: 'documents',
    name: 'documents',
    columns: [
      c('id', 'bigint'),
      c('user_id', 'bigint'),
      c('author_id', 'bigint'),
      c('type_code', 'text'),
      c('type_label', 'text'),
      c('class_code', 'text'),
      c('format', 'text'),
      c('mime_type', 'text'),
      c('size_bytes', 'integer'),
      c('title', 'text'),
      c('created_at', 'timestamptz'),
      c('submitted_at', 'timestamptz'),
      c('masked_to_professionals', 'boolean'),
      c('hidden_from_patient', 'boolean'),
      c('status', 'text'),
    ],
    primaryKey: ['id'],
    indexes: [['user_id', 'created_at'], ['author_id']],
    foreignKeys: [],
    entityColumn: 'user_id',
    entity: 'user',
  },
  {
    domain: 'consents',
    name: 'consents',
    columns: [c('user_id', 'bigint'), c('kind', 'text'), c('status', 'text'), c('decided_at', 'timestamptz')],
    primaryKey: ['user_id', 'kind'],
    indexes: [],
    foreignKeys: [],
    entityColumn: 'user_id',
    entity: 'user',
  },
  {
    domain: 'consents',
    name: 'authorisations',
    columns: [c('id', 'bigint'), c('user_id', 'bigint'), c('professional_id', 'bigint'), c('status', 'text'), c('decided_at', 'timestamptz')],
    primaryKey: ['id'],
    indexes: [['user_id'], ['professional_id', 'status']],
    foreignKeys: [],
    entityColumn: 'user_id',
    entity: 'user',
  },
  {
    domain: 'messaging',
    name: 'mailboxes',
    columns: [c('user_id', 'bigint'), c('address', 'text'), c('created_at', 'timestamptz'), c('active', 'boolean')],
    primaryKey: ['user_id'],
    indexes: [['address']],
    foreignKeys: [],
    entityColumn: 'user_id',
    entity: 'user',
  },
  {
    domain: 'messaging',
    name: 'messages',
    columns: [
      c('id', 'bigint'),
      c('user_id', 'bigint'),
      c('sender_id', 'bigint'),
      c('subject', 'text'),
      c('sent_at', 'timestamptz'),
      c('read_at', 'timestamptz', true),
      c('attachment_document_id', 'bigint', true),
    ],
    primaryKey: ['id'],
    indexes: [['user_id', 'sent_at'], ['sender_id']],
    foreignKeys: [{ columns: ['user_id'], table: 'mailboxes', references: ['user_id'] }],
    entityColumn: 'user_id',
    entity: 'user',
  },
  {
    domain: 'agenda',
    name: 'events',
    columns: [c('id', 'bigint'), c('user_id', 'bigint'), c('professional_id', 'bigint', true), c('kind', 'text'), c('title', 'text'), c('starts_at', 'timestamptz'), c('status', 'text')],
    primaryKey: ['id'],
    indexes: [['user_id', 'starts_at']],
    foreignKeys: [],
    entityColumn: 'user_id',
    entity: 'user',
  },
  {
    domain: 'traces',
    name: 'access_traces',
    columns: [
      c('id', 'bigint'),
      c('user_id', 'bigint'),
      c('actor', 'text'),
      c('professional_id', 'bigint', true),
      c('action', 'text'),
      c('document_id', 'bigint', true),
      c('at', 'timestamptz'),
      c('channel', 'text'),
    ],
    primaryKey: ['id'],
    indexes: [['user_id', 'at'], ['professional_id']],
    foreignKeys: [],
    entityColumn: 'user_id',
    entity: 'user',
  },
];

export const TABLES: readonly TableDef[] = SPECS.map((s, index) => ({ ...s, index }));

/** Table indexes, for the generator's emit calls. */
export const T = {
  users: 0,
  identities: 1,
  contacts: 2,
  professionals: 3,
  documents: 4,
  consents: 5,
  authorisations: 6,
  mailboxes: 7,
  messages: 8,
  events: 9,
  access_traces: 10,
} as const;

for (const [name, i] of Object.entries(T)) if (TABLES[i]?.name !== name) throw new Error(`tables: T.${name} does not match TABLES[${i}]`);

/** Child rows get ids derived from their owner: owner id × CHILD_ID_FACTOR + sequence (no global counter). */
export const CHILD_ID_FACTOR = 10_000;
export const MAX_CHILDREN = CHILD_ID_FACTOR - 1;
