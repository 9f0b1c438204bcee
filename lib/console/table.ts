/**
 * Keyboard navigation for a table's rows (a roving tabindex): Tab reaches the table once,
 * then Up/Down, Home/End move between rows, and Tab goes on into the focused row's links
 * and buttons.
 */
export function keyboardRows(tbody: HTMLTableSectionElement): void {
  const rows = (): HTMLTableRowElement[] => Array.from(tbody.rows);
  rows().forEach((row, i) => (row.tabIndex = i === 0 ? 0 : -1));
  tbody.addEventListener('keydown', (event) => {
    const all = rows();
    const current = all.indexOf((event.target as Element).closest('tr') as HTMLTableRowElement);
    if (current === -1) return;
    const next =
      event.key === 'ArrowDown' ? current + 1 : event.key === 'ArrowUp' ? current - 1 : event.key === 'Home' ? 0 : event.key === 'End' ? all.length - 1 : undefined;
    if (next === undefined || next < 0 || next >= all.length) return;
    event.preventDefault();
    all[current]!.tabIndex = -1;
    all[next]!.tabIndex = 0;
    all[next]!.focus();
  });
}
