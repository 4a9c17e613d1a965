// French number formats of the dashboard (times arrive already as « 2 min 05 s »).

export const percent = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1).replace(".", ",")} %`);
export const count = (v) => String(Math.round(v));
export const seconds = (s) => {
  const total = Math.round(s), m = Math.floor(total / 60), r = total % 60;
  return m ? `${m} min ${String(r).padStart(2, "0")} s` : `${r} s`;
};
