# The table in docs/distributed.md from the records: runs with <= 5% of the CPU used by other processes and >= 90% idle before
import sys,json,statistics as st
rows=[json.loads(l) for l in open(sys.argv[1])]
clean=[r for r in rows if r['othersCpu']<=0.05 and r['idleBefore']>=0.9]
print(len(rows),'runs,',len(clean),'clean')
order=['1x2','2x1-off','2x1-on','2x1-on-b5','2x1-off-b5']
for s in order:
  rs=[r['result'] for r in clean if r['setup']==s]
  if not rs: continue
  def f(k):
    v=[x[k] for x in rs]; return f"{st.median(v):.0f} [{min(v):.0f}-{max(v):.0f}]"
  def f1(k):
    v=[x[k] for x in rs]; return f"{st.median(v):.1f} [{min(v):.1f}-{max(v):.1f}]"
  print(f"| {s} | {len(rs)} | {f('stepMs')} | {f('backwardMs')} | {f1('allReduceMs')} | {st.median([x['earlyBuckets'] for x in rs]):.0f} | {f1('samplesPerSec')} |")
