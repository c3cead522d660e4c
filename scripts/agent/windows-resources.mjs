// The Windows executable's own face: the GUI subsystem (a double-click opens no console), the
// icon, the version information and the manifest. Applied with resedit to Node's binary before
// the agent is injected and before signing.
import fs from 'node:fs';
import * as PE from 'pe-library';
import * as ResEdit from 'resedit';
import { agentIcon } from './icon.mjs';

/** IMAGE_SUBSYSTEM_WINDOWS_GUI: Windows starts the program without a console window. */
export const SUBSYSTEM_WINDOWS_GUI = 2;
const LANG_EN_US = 1033;
const RT_MANIFEST = 24;

/** x.y.z.0 from a semantic version (pre-release and build parts have no place there). */
export function windowsVersion(version) {
  const [major, minor, patch] = version.split(/[-+]/)[0].split('.').map(Number);
  return [major, minor, patch, 0];
}

/**
 * asInvoker: the installer checks the OS first, without elevation, then asks for it through UAC
 * itself (requireAdministrator would prompt before that check, and would make the service's
 * own `run` and every `version` call demand elevation too).
 */
export function agentManifest(version) {
  const v = windowsVersion(version).join('.');
  const os = [
    '8e0f7a12-bfb3-4fe8-b9a5-48fd50a15a9a', // Windows 10 and 11, Server 2016 and later
    '1f676c76-80e1-4239-95bb-83d0f6d0da78', // Windows 8.1
    '4a2f28e3-53b9-4441-ba9c-d69d4a4a6e38', // Windows 8
    '35138b9a-5d96-4fbd-8e2d-a2440225f93a', // Windows 7
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
    '<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">',
    `  <assemblyIdentity type="win32" name="Optralis.Agent" version="${v}" processorArchitecture="amd64"/>`,
    '  <description>Optralis Agent</description>',
    '  <trustInfo xmlns="urn:schemas-microsoft-com:asm.v3">',
    '    <security><requestedPrivileges>',
    '      <requestedExecutionLevel level="asInvoker" uiAccess="false"/>',
    '    </requestedPrivileges></security>',
    '  </trustInfo>',
    '  <compatibility xmlns="urn:schemas-microsoft-com:compatibility.v1"><application>',
    ...os.map((id) => `    <supportedOS Id="{${id}}"/>`),
    '  </application></compatibility>',
    '  <application xmlns="urn:schemas-microsoft-com:asm.v3"><windowsSettings>',
    '    <longPathAware xmlns="http://schemas.microsoft.com/SMI/2016/WindowsSettings">true</longPathAware>',
    '  </windowsSettings></application>',
    '</assembly>',
    '',
  ].join('\r\n');
}

/** Rewrites `file` in place (it must be unsigned: signing comes after). */
export function applyWindowsResources(file, { version }) {
  const exe = PE.NtExecutable.from(fs.readFileSync(file));
  const res = PE.NtExecutableResource.from(exe);

  const icon = ResEdit.Data.IconFile.from(agentIcon());
  const groups = ResEdit.Resource.IconGroupEntry.fromEntries(res.entries);
  const groupId = groups[0]?.id ?? 1;
  ResEdit.Resource.IconGroupEntry.replaceIconsForResource(
    res.entries,
    groupId,
    LANG_EN_US,
    icon.icons.map((item) => item.data),
  );

  const info =
    ResEdit.Resource.VersionInfo.fromEntries(res.entries)[0] ??
    ResEdit.Resource.VersionInfo.createEmpty();
  const [major, minor, patch] = windowsVersion(version);
  info.setFileVersion(major, minor, patch, 0, LANG_EN_US);
  info.setProductVersion(major, minor, patch, 0, LANG_EN_US);
  info.setStringValues(
    { lang: LANG_EN_US, codepage: 1200 },
    {
      CompanyName: 'Optralis',
      ProductName: 'Optralis Agent',
      FileDescription: 'Optralis Agent',
      FileVersion: version,
      ProductVersion: version,
      OriginalFilename: 'optralis-agent.exe',
      InternalName: 'optralis-agent',
      LegalCopyright: 'Optralis. Includes Node.js (MIT license).',
    },
  );
  info.outputToResourceEntries(res.entries);

  const manifest = new TextEncoder().encode(agentManifest(version));
  const entries = res.entries.filter((entry) => entry.type !== RT_MANIFEST);
  entries.push({ type: RT_MANIFEST, id: 1, lang: LANG_EN_US, codepage: 0, bin: manifest.buffer });
  res.entries = entries;

  res.outputResource(exe);
  exe.newHeader.optionalHeader.subsystem = SUBSYSTEM_WINDOWS_GUI;
  fs.writeFileSync(file, Buffer.from(exe.generate()));
}

/** What the build checks afterwards, and the tests read: subsystem and version strings. */
export function readWindowsResources(bytes) {
  const exe = PE.NtExecutable.from(bytes, { ignoreCert: true });
  const res = PE.NtExecutableResource.from(exe);
  const info = ResEdit.Resource.VersionInfo.fromEntries(res.entries)[0];
  const manifest = res.entries.find((entry) => entry.type === RT_MANIFEST);
  return {
    subsystem: exe.newHeader.optionalHeader.subsystem,
    strings: info ? info.getStringValues({ lang: LANG_EN_US, codepage: 1200 }) : {},
    fileVersion: info?.fixedInfo.fileVersionMS,
    manifest: manifest ? Buffer.from(manifest.bin).toString('utf8') : undefined,
    iconGroups: ResEdit.Resource.IconGroupEntry.fromEntries(res.entries).map((group) => ({
      id: group.id,
      icons: group.icons.length,
    })),
  };
}

/**
 * Writes the PE checksum of the file (Microsoft's CheckSumMappedFile). Node's binary keeps the
 * checksum of its own release, which editing the resources and injecting the agent make wrong;
 * a correct one is what Windows tools expect, and what the installer writes back when it copies
 * itself without its payload.
 */
export function writePeChecksum(file) {
  const bytes = fs.readFileSync(file);
  const checksumOffset = bytes.readUInt32LE(0x3c) + 24 + 64;
  let sum = 0;
  for (let offset = 0; offset < bytes.length; offset += 2) {
    if (offset === checksumOffset || offset === checksumOffset + 2) continue;
    sum += bytes[offset] + ((bytes[offset + 1] ?? 0) << 8);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  bytes.writeUInt32LE((sum + bytes.length) >>> 0, checksumOffset);
  fs.writeFileSync(file, bytes);
}
