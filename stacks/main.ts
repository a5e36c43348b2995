/**
 * The cdktf application: one stack per environment x site x layer for the bpg/proxmox
 * provider. Every cdktf import of the project lives under stacks/ and modules/proxmox/
 * (docs/adr/0001-cdktf-and-opentofu.md), so the engine can be swapped in one place.
 *
 * The stacks themselves are built by the Proxmox issue; until then the app synthesizes an
 * empty manifest, which `cdktf synth` accepts.
 */
import { App } from 'cdktf';

const app = new App();
app.synth();
