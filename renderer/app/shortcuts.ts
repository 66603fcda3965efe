/** The keyboard shortcuts, as shown in the help dialog and in settings. */
export const SHORTCUTS: [string, string][] = [
  ['Ctrl/⌘ K', 'Search and quick create'],
  ['g b', 'Go to the board'],
  ['g o', 'Go to organizations'],
  ['g p', 'Go to people'],
  ['g a', 'Go to activities'],
  ['g r', 'Go to reports'],
  ['g s', 'Go to settings'],
  ['n', 'New deal (board) / new record (tables)'],
  ['/', 'Focus the search or filter box'],
  ['Esc', 'Close a dialog or menu'],
  ['?', 'Show these shortcuts'],
];
