# Fits the confidence weights (crates/nic-answer/src/confidence.rs) from a dump made with
# NIC_CALIBRATION_DUMP=1 cargo test -p nic-answer --test quality confidence -- --nocapture | grep -E "^(A|U)\s" > /tmp/calib.tsv
import re,math
rows=[]
for line in open('/tmp/calib.tsv'):
    kind,c,sig,q=line.rstrip('\n').split('\t')
    d=dict((k,float(v)) for k,v in re.findall(r'(\w+): (-?[\d.e-]+)',sig))
    cu=min(1,max(0,(d['best_cosine']-0.15)/0.6))
    x=[cu,d['best_lexical'],d['best_coverage'],d['agreement'],d['unseen_share'],cu*d['best_coverage']]
    rows.append((x,1 if kind=='A' else 0,q))
def fit(data,l2=0.003,iters=8000):
    k=len(data[0][0]);w=[0.0]*k;b=0.0;lr=1.0
    for it in range(iters):
        gw=[0]*k;gb=0
        for x,y,_ in data:
            z=sum(wi*xi for wi,xi in zip(w,x))+b
            p=1/(1+math.exp(-z))
            for i in range(k): gw[i]+=(p-y)*x[i]
            gb+=p-y
        n=len(data)
        w=[wi-lr*(g/n+l2*wi) for wi,g in zip(w,gw)];b-=lr*gb/n
    return w,b
def conf(w,b,x): return 1/(1+math.exp(-(sum(wi*xi for wi,xi in zip(w,x))+b)))
w,b=fit(rows)
print("w",[round(v,2) for v in w],"b",round(b,2))
for t in [0.3,0.35,0.4,0.45,0.5,0.55,0.6]:
    ok=sum(1 for x,y,_ in rows if (conf(w,b,x)>=t)==(y==1)); print(t,ok,len(rows),round(ok/len(rows),3))
# CV
import random
random.seed(1); idx=list(range(len(rows))); random.shuffle(idx)
ok=0
for f in range(5):
    test=[rows[i] for i in idx[f::5]]; train=[rows[i] for i in idx if i not in idx[f::5]]
    w2,b2=fit(train,iters=3000)
    ok+=sum(1 for x,y,_ in test if (conf(w2,b2,x)>=0.5)==(y==1))
print("cv acc",ok/len(rows))
for x,y,q in rows:
    if (conf(w,b,x)>=0.5)!=(y==1): print(y,round(conf(w,b,x),3),q)
