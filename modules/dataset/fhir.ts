/**
 * FHIR R4 bulk-data NDJSON (one resource per line, one file set per resource type):
 * Patient (account + identity + contact, INS-NIR identifier), Practitioner (RPPS/IDNPS),
 * DocumentReference (document metadata) and Consent (consents and access authorisations,
 * blocked professionals as deny provisions). Built from the same rows as the other formats.
 */
import { pgTimestampToIso } from './calendar.ts';
import type { Value } from './generate.ts';
import { IDNPS_OID, INS_NIR_OID } from './identifiers.ts';
import { T } from './tables.ts';

export const FHIR_RESOURCES = ['Patient', 'Practitioner', 'DocumentReference', 'Consent'] as const;
const PATIENT = 0;
const PRACTITIONER = 1;
const DOCREF = 2;
const CONSENT = 3;

const iso = (v: Value | undefined): string => pgTimestampToIso(String(v));

/** Turns table rows into FHIR resources; rows of one user arrive together (users, identities, contacts, ...). */
export class FhirMapper {
  private account: Value[] | null = null;
  private identity: Value[] | null = null;

  constructor(private readonly emit: (resource: number, line: string) => void) {}

  row(table: number, v: Value[]): void {
    switch (table) {
      case T.users:
        this.account = v;
        return;
      case T.identities:
        this.identity = v;
        return;
      case T.contacts:
        this.patient(v);
        return;
      case T.professionals:
        this.practitioner(v);
        return;
      case T.documents:
        this.documentReference(v);
        return;
      case T.consents:
        this.consent(`consent-${v[0]}-${v[1]}`, v[0], v[2] === 'granted' ? 'permit' : 'deny', v[3], String(v[1]), null);
        return;
      case T.authorisations:
        this.consent(`authorisation-${v[0]}`, v[1], v[3] === 'blocked' ? 'deny' : 'permit', v[4], v[3] === 'blocked' ? 'blocked_professional' : 'authorised_professional', v[2]);
        return;
      default:
    }
  }

  private patient(c: Value[]): void {
    const a = this.account;
    const i = this.identity;
    if (!a || !i || a[0] !== c[0]) throw new Error('fhir: contacts row without its user and identity');
    const telecom: object[] = [];
    if (c[1]) telecom.push({ system: 'email', value: c[1] });
    if (c[2]) telecom.push({ system: 'phone', value: c[2], use: 'mobile' });
    const names: object[] = [{ use: 'official', family: i[3], given: String(i[5]).split(' ') }];
    if (i[4]) names.push({ use: 'usual', family: i[4], given: [i[6]] });
    const r = {
      resourceType: 'Patient',
      id: String(a[0]),
      identifier: [{ use: 'official', system: `urn:oid:${INS_NIR_OID}`, value: i[1] }],
      active: a[2] !== 'opposed',
      name: names,
      telecom,
      gender: i[7] === 'M' ? 'male' : 'female',
      birthDate: i[8],
      address: [{ use: 'home', line: [c[3]], city: c[5], postalCode: c[4], country: 'FR' }],
      extension: [
        {
          url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace',
          valueAddress: { district: i[9], country: i[10] },
        },
      ],
      communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: c[8] }] }, preferred: true }],
    };
    this.emit(PATIENT, JSON.stringify(r));
    this.account = null;
    this.identity = null;
  }

  private practitioner(v: Value[]): void {
    const r = {
      resourceType: 'Practitioner',
      id: String(v[0]),
      identifier: [
        { system: `urn:oid:${IDNPS_OID}`, value: v[2], type: { coding: [{ system: 'http://interopsante.org/fhir/CodeSystem/fr-v2-0203', code: 'IDNPS' }] } },
        { system: 'https://rpps.esante.gouv.fr', value: v[1], type: { coding: [{ system: 'http://interopsante.org/fhir/CodeSystem/fr-v2-0203', code: 'RPPS' }] } },
      ],
      name: [{ family: v[3], given: [v[4]] }],
      gender: v[5] === 'M' ? 'male' : 'female',
      telecom: [{ system: 'email', value: v[12] }],
      address: [{ city: v[10], postalCode: v[11], country: 'FR' }],
      qualification: [{ code: { coding: [{ system: 'https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante', code: v[6], display: v[7] }], ...(v[8] ? { text: v[8] } : {}) } }],
    };
    this.emit(PRACTITIONER, JSON.stringify(r));
  }

  private documentReference(v: Value[]): void {
    const security: object[] = [];
    if (v[12]) security.push({ system: 'urn:hds:dataset:visibility', code: 'MASKED_PS' });
    if (v[13]) security.push({ system: 'urn:hds:dataset:visibility', code: 'INVISIBLE_PATIENT' });
    const r = {
      resourceType: 'DocumentReference',
      id: String(v[0]),
      status: v[14] === 'deleted' ? 'entered-in-error' : v[14] === 'archived' ? 'superseded' : 'current',
      type: { coding: [{ system: v[3] === 'REMB' ? 'urn:hds:dataset:document-type' : 'http://loinc.org', code: v[3], display: v[4] }] },
      category: [{ coding: [{ system: 'urn:hds:dataset:document-class', code: v[5] }] }],
      subject: { reference: `Patient/${v[1]}` },
      date: iso(v[11]),
      author: [{ reference: `Practitioner/${v[2]}` }],
      description: v[9],
      ...(security.length ? { securityLabel: security } : {}),
      content: [{ attachment: { contentType: v[7], size: v[8], title: v[9], creation: iso(v[10]) } }],
    };
    this.emit(DOCREF, JSON.stringify(r));
  }

  private consent(id: string, user: Value | undefined, type: 'permit' | 'deny', at: Value | undefined, code: string, professional: Value | undefined): void {
    const r = {
      resourceType: 'Consent',
      id,
      status: 'active',
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'urn:hds:dataset:consent-kind', code }] }],
      patient: { reference: `Patient/${user}` },
      dateTime: iso(at),
      provision: {
        type,
        ...(professional !== null && professional !== undefined ? { actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PRCP' }] }, reference: { reference: `Practitioner/${professional}` } }] } : {}),
      },
    };
    this.emit(CONSENT, JSON.stringify(r));
  }
}
