"""Writes aggregate.py's tables into docs/results/adversarial.md between its markers (usage: python3 splice.py)."""
import os, subprocess, re, sys
root=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..')
out=subprocess.run(['python3','docs/results/adversarial/aggregate.py','docs/results/adversarial/reports','docs/results/adversarial'],cwd=root,capture_output=True,text=True,check=True).stdout
lines=out.split('\n')
i_sel=next(i for i,l in enumerate(lines) if l.startswith('selection check'))
i_mean=next(i for i,l in enumerate(lines) if l.startswith('Mean ±'))
i_grid=next(i for i,l in enumerate(lines) if l.startswith('slow-start-fast-decay fine-tuning'))
i_mon=next(i for i,l in enumerate(lines) if l.startswith('monitor rows'))
per_run='\n'.join(lines[:i_sel]).strip()
block=f"""<!-- begin aggregate.py output (python3 docs/results/adversarial/aggregate.py docs/results/adversarial/reports docs/results/adversarial) -->
{per_run}

Selection check: {lines[i_sel].split(': ',1)[1]}.

{chr(10).join(lines[i_mean:i_grid]).strip()}

{chr(10).join(lines[i_grid:i_mon]).strip()}

Held-out monitor (200 images, PGD-10) during training, mean over seeds per arm:

![held-out robust accuracy](adversarial/monitor.svg)

Step: clean % / robust %.

{chr(10).join(lines[i_mon+1:]).strip()}
<!-- end aggregate.py output -->"""
p=root+'/docs/results/adversarial.md'
s=open(p).read()
if '<!-- begin aggregate.py' in s:
    a=s.index('<!-- begin aggregate.py'); b=s.index('<!-- end aggregate.py output -->')+len('<!-- end aggregate.py output -->')
else:
    a=s.index('| run | steps (epochs) | selected step')
    b=s.index('### What the numbers say')
    # keep a blank line before the heading
    block=block+'\n\n'
s=s[:a]+block+s[b:]
# the key arms of the issue 19 section: rows of the grouped table
KEY=['B-piecewise','B-cyclic','N-natural-piecewise','C-ssfd-lr0.03','C-ssfd-lr0.03-wf0.7','C-ssfd-lr0.03-wf0.7-dr2','C-ssfd-lr0.03-dr2','C-constant-lr0.01','C-constant-lr0.03','C-fast-constant-lr0.01','C-trades-constant-lr0.01','C5k-constant-lr0.01','D-scratch-ssfd-lr0.03']
g=lines[i_mean:i_grid]
hdr=[l for l in g if l.startswith('| arm') or l.startswith('|---')]
rows={l.split(' | ')[0][2:]:l for l in g if l.startswith('| ') and not l.startswith('| arm')}
key='<!-- begin key arms (aggregate.py rows) -->\n'+'\n'.join(hdr+[rows[k] for k in KEY if k in rows])+'\n\n'+chr(10).join(lines[i_grid:i_mon]).strip()+'\n<!-- end key arms -->'
if '<!-- begin key arms' in s:
    a=s.index('<!-- begin key arms'); b=s.index('<!-- end key arms -->')+len('<!-- end key arms -->')
    s=s[:a]+key+s[b:]
else:
    s=s.replace('RESULTS_PLACEHOLDER', '### Results (issue 19)\n\n'+key+'\n\nRESULTS_TEXT')
open(p,'w').write(s)
