/**
 * Names every layer shares: the flows the code itself refers to (their files are
 * flows/<id>.yaml) and the prompt numbers of buttons that belong to no flow. Buttons carry a
 * prompt number back (InboundContent.choice.promptSeq); flow questions count on from 1.
 */

export const FLOW = {
  /** Registration (consent, name, village, role): comes before everything else. */
  registration: 'daftar',
  villageProfile: 'profil-desa',
  riskReport: 'laporan-risiko',
  activityProgress: 'kemajuan-kegiatan',
  /** A facilitator makes a workshop (`jadwal baru`). */
  workshop: 'jadwal',
  /** A facilitator writes a broadcast (`siaran`). */
  broadcast: 'siaran',
  /** Filling a form for a resident who can't type: on submit it starts the chosen form on their behalf. */
  proxy: 'isi-untuk-warga',
} as const;

/** Menu order: these first, in this order; each role's menu is numbered 1, 2, 3 without gaps. */
export const MENU_ORDER: readonly string[] = [FLOW.villageProfile, FLOW.riskReport, FLOW.activityProgress];

export const PROMPT_SEQ = {
  /** The main menu's buttons. */
  menu: 0,
  /** Yes/no of the service's own confirmations (delete my data, cancel with answers). */
  confirm: -1,
  /** Feature actions outside any flow: "<prefix>:<rest>" (e.g. "rsvp:<workshopId>:hadir"). */
  action: -2,
  /** "Minta dihubungi" and the other buttons of the help message. */
  help: -3,
} as const;
