import { describe, expect, it } from 'vitest';
import {
  type ApiContract,
  type ApiField,
  type ApiRoute,
  assertContract,
  contractProblems,
  fieldProblem,
  jsonBodyProblems,
  matchRoute,
  maxBodyBytes,
  PLATFORM_HEADER_POLICY,
  queryProblems,
  REFERENCE_API_CONTRACT,
  routePathRegex,
  STRING_FORMATS,
} from './apiContract.ts';
import { base64Length, MAX_DOCUMENT_BYTES, MAX_DOCUMENT_REQUEST_BYTES } from './documents.ts';

const C = REFERENCE_API_CONTRACT;
const create = C.routes.find((r) => r.id === 'documents.create') as ApiRoute;
const doc = { title: 'Compte rendu', patientId: 'p-0042', category: 'CR-CONSULT', contentBase64: 'aGVsbG8=' };
const text = (maxLength: number): ApiField => ({
  type: 'string',
  format: 'text',
  text: 'clinical-fr',
  minLength: 1,
  maxLength,
  required: true,
  description: 'note',
});

describe('the reference API contract (EXG_WAF_1, EXG_SEC_3.5)', () => {
  it('is valid, and mirrors the reference service: three routes, no query parameter, one JSON body', () => {
    expect(contractProblems(C)).toEqual([]);
    expect(C.routes.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /health', 'POST /documents', 'GET /documents/{id}']);
    expect(C.routes.every((r) => Object.keys(r.query).length === 0)).toBe(true);
    expect(Object.keys(create.body?.json ?? {})).toEqual(['title', 'patientId', 'category', 'contentBase64']);
  });

  it('takes its sizes from modules/model/documents.ts', () => {
    expect(create.body?.maxBytes).toBe(MAX_DOCUMENT_REQUEST_BYTES);
    expect(create.body?.json.contentBase64?.maxLength).toBe(base64Length(MAX_DOCUMENT_BYTES));
    expect(create.body?.json.contentBase64?.tooLong).toBe('service');
    expect(maxBodyBytes(C)).toBe(MAX_DOCUMENT_REQUEST_BYTES);
  });

  it('routes: path templates with typed parameters; matchRoute finds the route of a request line', () => {
    expect(routePathRegex({ path: '/documents/{id}', params: { id: 'uuid' } })).toBe('/documents/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}');
    expect(routePathRegex({ path: '/v1.0/{type}', params: { type: 'fhirResourceType' } })).toMatch(/^\/v1\\\.0\/\(\?:AllergyIntolerance\|/);
    expect(matchRoute(C, 'GET', '/documents/0b5a3c1e-2f4d-4a6b-8c9d-0e1f2a3b4c5d')?.id).toBe('documents.read');
    expect(matchRoute(C, 'POST', '/documents')?.id).toBe('documents.create');
    expect(matchRoute(C, 'GET', '/documents')).toBeUndefined();
    expect(matchRoute(C, 'GET', '/documents/0B5A3C1E-2F4D-4A6B-8C9D-0E1F2A3B4C5D')).toBeUndefined();
    expect(() => routePathRegex({ path: '/a/{x}', params: {} })).toThrow(/parameter x has no known format/);
    expect(() => routePathRegex({ path: '/a/../b', params: {} })).toThrow(/segment '\.\.'/);
  });

  it('bodies: exact fields, types, formats and lengths', () => {
    expect(jsonBodyProblems(create, doc)).toEqual([]);
    expect(jsonBodyProblems(create, { ...doc, title: "Patient refuse l'union des deux dossiers ; drop du doublon" })).toEqual([]);
    expect(jsonBodyProblems(create, [doc])).toEqual(['the body must be a JSON object']);
    expect(jsonBodyProblems(create, { ...doc, isAdmin: true })).toEqual(['unknown field isAdmin']);
    const { title: _t, ...noTitle } = doc;
    expect(jsonBodyProblems(create, noTitle)).toEqual(['missing field title']);
    expect(jsonBodyProblems(create, { ...doc, title: 12 })).toEqual(['title must be a string']);
    expect(jsonBodyProblems(create, { ...doc, title: 'é'.repeat(201) })).toEqual(['title must be 1..200 characters']);
    expect(jsonBodyProblems(create, { ...doc, title: 'é'.repeat(200) })).toEqual([]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Log4j and template syntax, not a JS template
    expect(jsonBodyProblems(create, { ...doc, title: '${jndi:ldap://x}' })).toEqual(['title holds a character outside the clinical-fr text profile']);
    expect(jsonBodyProblems(create, { ...doc, patientId: "1' OR '1'='1" })[0]).toMatch(/^patientId must be identifier or code/);
    expect(jsonBodyProblems(create, { ...doc, contentBase64: 'aGVsbG8' })).toEqual(['contentBase64 length must be a multiple of 4']);
    expect(jsonBodyProblems(create, { ...doc, contentBase64: 'aGVs*G8=' })[0]).toMatch(/^contentBase64 must be standard base64/);
    expect(jsonBodyProblems(C.routes[0] as ApiRoute, {})).toEqual(['the route takes no body']);
  });

  it('query strings: none on a route that declares none; declared ones checked, each at most once', () => {
    const health = C.routes[0] as ApiRoute;
    expect(queryProblems(health, '')).toEqual([]);
    expect(queryProblems(health, '?')).toEqual([]);
    expect(queryProblems(health, '?note=SpO2%2098%20%25')).toEqual(['the route takes no query string']);
    const search: ApiRoute = {
      ...health,
      id: 'search',
      query: {
        q: { ...text(40), required: false },
        patientId: { type: 'string', format: 'code', minLength: 1, maxLength: 64, required: true, description: 'p' },
      },
    };
    expect(queryProblems(search, 'patientId=p-1&q=select%20des%20antibiotiques')).toEqual([]);
    expect(queryProblems(search, 'patientId=p-1&patientId=p-2&x=1&q=%24%7B')).toEqual([
      'unknown query parameter x',
      'q holds a character outside the clinical-fr text profile',
      'query parameter patientId given 2 times',
    ]);
    expect(queryProblems(search, 'q=a')).toEqual(['missing query parameter patientId']);
  });

  it('formats: each pattern accepts its examples and refuses the rest', () => {
    const f = (format: keyof typeof STRING_FORMATS, maxLength = 64): ApiField => ({
      type: 'string',
      format,
      minLength: 1,
      maxLength,
      required: true,
      description: 'x',
    });
    expect(fieldProblem(f('date'), '2024-06-12')).toBeUndefined();
    expect(fieldProblem(f('date'), '2024-13-12')).toBeDefined();
    expect(fieldProblem(f('fhirResourceType'), 'Observation')).toBeUndefined();
    expect(fieldProblem(f('fhirResourceType'), 'ObservationX')).toBeDefined();
    expect(fieldProblem(f('uuid'), '0b5a3c1e-2f4d-4a6b-8c9d-0e1f2a3b4c5d')).toBeUndefined();
    expect(fieldProblem(f('code'), '-leading')).toBeDefined();
    expect(fieldProblem(f('base64'), 'aGVsbG8=\n')).toBeDefined();
    for (const fmt of Object.values(STRING_FORMATS)) expect(fmt.inert).toBe(true);
  });

  it('reports every problem of a bad contract at once, and assertContract throws them all', () => {
    const bad: ApiContract = {
      id: 'bad',
      description: 'bad',
      headers: { ...PLATFORM_HEADER_POLICY, refused: ['X-Upper'], cookies: 'eat' as 'drop' },
      routes: [
        { id: 'Bad Id', method: 'GET', path: 'no-slash', params: {}, query: {}, description: 'x' },
        { id: 'two', method: 'POST', path: '/x/{p}', params: { p: 'uuid', q: 'code' }, query: { 'bad name': text(10) }, description: 'x' },
        {
          id: 'two',
          method: 'POST',
          path: '/x/{p}',
          params: { p: 'uuid' },
          query: {},
          description: 'x',
          body: { contentTypes: ['Application/JSON'], maxBytes: 0, json: { t: { ...text(10), text: undefined } } },
        },
        { id: 'lengths', method: 'GET', path: '/l', params: {}, query: { a: { ...text(0), minLength: 5 } }, description: 'x' },
      ],
    };
    const p = contractProblems(bad);
    expect(p).toEqual(
      expect.arrayContaining([
        "headers.refused: 'X-Upper' must be a lower-case header name",
        "headers.cookies must be drop or forward, got 'eat'",
        'route Bad Id: id must match ^[a-z][a-z0-9.-]{0,62}$',
        'route Bad Id: path no-slash must start with /',
        'route two: parameter q is not in the path /x/{p}',
        "route two: query parameter 'bad name' must match ^[A-Za-z][A-Za-z0-9_]{0,63}$",
        'route two: duplicate route id',
        'route two: POST /x/{p} declared twice',
        "route two: content type 'Application/JSON' must be a lower-case type/subtype",
        'route two: body.maxBytes must be a positive integer',
        'route two body t: format text needs a text profile (one of clinical-fr, clinical-fr-multiline)',
        'route lengths query a: lengths must be integers with 0 <= minLength <= maxLength, maxLength >= 1',
      ]),
    );
    expect(() => assertContract(bad)).toThrow(/API contract bad is invalid:\n- .*\n- /);
  });
});
