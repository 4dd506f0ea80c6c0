"""The form's own CSS and the script behind the Copy buttons."""

from __future__ import annotations

CSS = """
.ictqa-card {border: 1px solid #d0d7de; border-radius: 8px; padding: 12px 14px; margin: 10px 0; background: #fff; color: #1f2328;}
.ictqa-crumb {color: #57606a; font-size: 0.85em; margin-bottom: 6px;}
.ictqa-passage {white-space: pre-wrap; line-height: 1.7;}
.ictqa-passage mark {background: #fff3a3; padding: 0 1px; color: inherit;}
.ictqa-meta {display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin-top: 8px; font-size: 0.85em; color: #57606a;}
.ictqa-label {font-family: ui-monospace, monospace; background: #f6f8fa; padding: 2px 6px; border-radius: 4px; user-select: all;}
.ictqa-copy {border: 1px solid #d0d7de; border-radius: 4px; background: #f6f8fa; padding: 0 8px; font: inherit; font-size: 0.95em; cursor: pointer;}
.ictqa-banner {border-radius: 8px; padding: 10px 14px; margin: 8px 0; color: #1f2328;}
.ictqa-warn {background: #fff8c5; border: 1px solid #d4a72c;}
.ictqa-error {background: #ffebe9; border: 1px solid #cf222e;}
.ictqa-note {background: #ddf4ff; border: 1px solid #54aeff;}
.ictqa-terms {color: #57606a; font-size: 0.85em; margin: 6px 0;}
"""

# Copy button of a card.  The clipboard API needs a secure context
# (localhost or https); elsewhere the label is selected for Ctrl+C instead.
COPY_JS = """
element.addEventListener('click', (e) => {
  const b = e.target.closest('.ictqa-copy');
  if (!b) return;
  const label = b.parentElement.querySelector('.ictqa-label');
  const done = () => { b.textContent = '✓'; setTimeout(() => { b.textContent = 'コピー / Copy'; }, 1500); };
  const select = () => { const r = document.createRange(); r.selectNodeContents(label);
    const s = window.getSelection(); s.removeAllRanges(); s.addRange(r); };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(b.dataset.label).then(done, select);
  else select();
});
"""
