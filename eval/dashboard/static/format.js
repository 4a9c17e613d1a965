// French number formats of the dashboard (times arrive already as « 2 min 05 s »).

export const percent = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1).replace(".", ",")} %`);
export const count = (v) => String(Math.round(v));
export const seconds = (s) => {
  const total = Math.round(s), m = Math.floor(total / 60), r = total % 60;
  return m ? `${m} min ${String(r).padStart(2, "0")} s` : `${r} s`;
};
/** Signed seconds (a time saved may be negative: the draft then costs time): « −1 min 05 s ». */
export const signedSeconds = (s) => (s === null || s === undefined ? "—" : Math.round(s) < 0 ? `−${seconds(-s)}` : seconds(s));
/** Decimal with a French comma: « 0,075 ». */
export const decimal = (v, digits = 2) => (v === null || v === undefined ? "—" : Number(v).toFixed(digits).replace(".", ","));
/** « 10:42 » in the reader's time zone, from an ISO instant (the server's clock, UTC). */
export const clock = (iso) => (iso ? new Date(iso).toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" }) : "—");
