import type { ReactNode } from 'react';

export const metadata = {
  title: 'Restash × Next.js 16',
  description: "'use cache', server actions and rate limits shared by every instance through Restash",
};

const css = `
body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; }
section { border: 1px solid #d8dce6; border-radius: 8px; padding: 1rem 1.25rem; margin: 1.25rem 0; }
h2 { margin-top: 0; font-size: 1.15rem; }
.row { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
input { padding: .35rem .5rem; }
button { padding: .35rem .8rem; cursor: pointer; }
code { background: #f1f3f7; padding: 0 .25rem; border-radius: 3px; }
.muted { color: #667; font-size: .9rem; }
`;

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <style>{css}</style>
      </head>
      <body>{children}</body>
    </html>
  );
}
