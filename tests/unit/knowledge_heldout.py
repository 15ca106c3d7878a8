"""A held-out style question set, written independently of the dev eval set.

Different wording, people and scenarios from the dev set: texting style, long
stories with the question at the end, third person ("my coworker..."),
supervisors asking about their staff, FPS vs CPSS. Each item is
(question, expected verdict, acceptable sources). ``sources`` is a tuple of
source ids of which at least one must be cited (empty for not_covered).

Labels were checked against the five documents (knowledge/sources). A
not_covered item is one no document decides; many of them use a word a rule
cares about in another sense ("therapy dog", "gift shop", "legal pad",
"drive-thru", "my own doctor") so a nearby rule must not answer them.

HELDOUT is the tuning set; FRESH was written after the engine changes and
never tuned on (a blind check of how the changes generalise).
"""

CPSS = "cpss-job-description"
DBH = "dbh-service-definition"
PSS = "peer-support-services"
SDMI = "sdmi-waiver"
FPS = "fps-toolkit"

HELDOUT = [
    # ---------------- not_covered: rule words used in other senses ----------------
    ("Is it okay if I bring my certified therapy dog along when I do home visits?", "not_covered", ()),
    ("Our agency is thinking about a pet therapy program. Would peer specialists be allowed to run it?", "not_covered", ()),
    ("Am I allowed to accept an invitation to speak at the church my client goes to?", "not_covered", ()),
    ("While my client is in with her doctor, can I grab a coffee at the hospital gift shop?", "not_covered", ()),
    ("Is it fine to jot my session notes on a yellow legal pad, or do I have to type them straight into the laptop?", "not_covered", ()),
    ("Can I go through a drive-thru and eat lunch in my car between home visits?", "not_covered", ()),
    ("My team is doing a staff trip to a theme park. Do I have to go on the rides?", "not_covered", ()),
    ("Will the agency pay for my prescription glasses since I do so much computer work?", "not_covered", ()),
    ("Can I leave an hour early on Thursday for my own doctor appointment?", "not_covered", ()),
    ("My supervisor offered to let me borrow her car for home visits while mine is in the shop. Is that allowed?", "not_covered", ()),
    ("Are visible tattoos okay when I'm meeting with clients?", "not_covered", ()),
    ("is vaping in my own car between visits against the rules?", "not_covered", ()),
    ("Does our program have a social media policy about posting pictures from the staff holiday party?", "not_covered", ()),
    ("Do I get overtime if a home visit runs past 5 o'clock?", "not_covered", ()),
    ("How many PTO days do family peer supporters get a year?", "not_covered", ()),
    ("Can I wear a political campaign button when I see clients?", "not_covered", ()),
    ("A client asked me who I'm voting for in the election. Can I tell her?", "not_covered", ()),
    ("I also work nights as a CNA pushing the medication cart at a nursing home. Can I keep that second job while I'm a peer specialist?", "not_covered", ()),
    ("Can I use a ride-share app for myself to get to my home visits instead of driving?", "not_covered", ()),
    ("Is it okay to eat my own lunch at a client's kitchen table during a long visit?", "not_covered", ()),
    ("Is there a rule about keeping my personal stuff like my purse in the agency van?", "not_covered", ()),
    ("What's the policy on bringing my own baby to the office when her daycare is closed?", "not_covered", ()),
    ("Do I have to get a flu shot to do home visits?", "not_covered", ()),
    ("My supervisor wants me to drive the agency van to the staff retreat. Am I covered by the agency's car insurance?", "not_covered", ()),
    ("Is it ok to have a glass of wine at the staff holiday party if no clients are there?", "not_covered", ()),
    ("Can I wear perfume on home visits? One of my clients gets headaches from smells.", "not_covered", ()),
    ("Can I put photos of my pets up in my office at the agency?", "not_covered", ()),
    ("Is there a limit on how many personal calls I can take on my work phone?", "not_covered", ()),
    ("Can I listen to a podcast about therapy while I drive to my visits?", "not_covered", ()),
    ("Can peer specialists unionize at my agency?", "not_covered", ()),

    # ---------------- allowed ----------------
    ("Supervisor question: one of my CPSS staff wants to go with a member to her first NA meeting so she isn't walking in alone. Is that in scope?", "allowed", (DBH, PSS, FPS)),
    ("my guy is starting a new job across town and wants to learn the bus route. ok if i ride the bus with him a couple times til he can do it alone?", "allowed", (CPSS,)),
    ("Can I share that I was homeless and using for years when a client tells me nobody gets what she's going through?", "allowed", (CPSS, FPS, PSS)),
    ("Parent partner here. A mom's insurance stopped covering her son's therapy and she's overwhelmed. Can I connect her with community resources and help her sort out her options?", "allowed", (FPS, DBH, CPSS)),
    ("The clinic invited me to my client's care team meeting with her psychiatrist and case manager. Am I allowed to participate?", "allowed", (DBH, FPS)),
    ("One of my peers wants to write a WRAP plan before things get bad again. Can I help him put it together?", "allowed", (PSS, SDMI, CPSS)),
    ("We usually meet Saturday mornings because she works all week. Is weekend peer support ok?", "allowed", (DBH, FPS)),
    ("Can I meet with a client at her apartment instead of at the office?", "allowed", (DBH, PSS, FPS)),
    ("She wants to go back and get her GED. Can I help her look into programs and fill out the applications together?", "allowed", (PSS,)),
    ("He gets so anxious on the phone. Can I help him call and set up an appointment with his new primary care doctor?", "allowed", (PSS,)),
    ("My client asked if I'd sit in on her med check and help her bring up that she can't sleep on the new prescription. Can I?", "allowed", (PSS,)),
    ("Could I meet a client at the farmers market so she can practice being around crowds? That's one of the goals on her WRSP.", "allowed", (CPSS,)),
    ("A member wants to start volunteering at the animal shelter. Can I help him look for openings and practice for the interview?", "allowed", (PSS,)),
    ("Is it okay to give a parent information about legal aid when she's worried about her custody case?", "allowed", (CPSS, DBH, FPS)),

    # ---------------- not_allowed ----------------
    ("my coworker has been driving one of her members to dialysis every week in her own car bc the medicaid van is always late. is she allowed to do that?", "not_allowed", (CPSS,)),
    ("I'm a supervisor. One of my peer specialists has been picking up prescriptions at Walgreens for a member who doesn't like leaving the house. Is that okay?", "not_allowed", (CPSS,)),
    ("A woman I support asked if she could leave her EBT card and some cash with me so her boyfriend can't get to it. Can I hold them for her?", "not_allowed", (CPSS,)),
    ("client's landlord is trying to evict him and he wants me to tell him his legal options and what to say to the judge. can i?", "not_allowed", (CPSS,)),
    ("Can I be my client's power of attorney? She trusts me more than her family.", "not_allowed", (CPSS,)),
    ("A dad I work with keeps asking whether he should up his son's ADHD meds before school starts. As an FPS can I give him my two cents?", "not_allowed", (FPS,)),
    ("A mom described her daughter's meltdowns and asked me point blank whether it's autism. Should I tell her what I think?", "not_allowed", (FPS,)),
    ("A client invited me to her daughter's quinceanera as a guest. Can I go?", "not_allowed", (FPS,)),
    ("One of my members runs a cleaning business. Can I hire her to clean my house?", "not_allowed", (FPS,)),
    ("a client's brother asked me out after a family session. is it ok to go?", "not_allowed", (FPS,)),
    ("My member offered to lend me $300 for my car repair. Can I take the loan?", "not_allowed", (FPS,)),
    ("Her case manager quit and the agency hasn't replaced her yet. Can I take over the case management stuff, like her benefits paperwork, until they hire someone?", "not_allowed", (CPSS,)),
    ("Does a family peer supporter get to meet privately with a 16-year-old without his mom in the room?", "not_allowed", (FPS,)),
    ("I'm a parent partner. Mom needs to run to the pharmacy and asked if I could stay with her kids for half an hour. ok?", "not_allowed", (FPS, CPSS)),
    ("My client just went into inpatient detox. Can I keep doing peer support sessions with him while he's in there?", "not_allowed", (SDMI, PSS)),
    ("I smoked a little weed before my afternoon visits. Is that a problem?", "not_allowed", (FPS,)),
    ("The psychiatrist asked me to weigh in on whether my client is competent to manage her own money. Can I?", "not_allowed", (CPSS,)),
    ("A parent told me her boyfriend hits her 6 year old but asked me not to say anything. Can I respect her wishes?", "not_allowed", (FPS,)),
    ("My agency wants me to teach a job readiness skills training course to my peers. Is that peer support?", "not_allowed", (CPSS,)),
    ("Can I just tell people I'm a counselor? It's easier than explaining what a peer specialist is.", "not_allowed", (FPS,)),
    ("I really don't want to work with a new client because he's Muslim. Can I refuse?", "not_allowed", (FPS,)),
    ("My former client and I have been texting and I'd like to ask her out. It's been 6 months since she graduated the program.", "not_allowed", (FPS,)),
    ("A local therapist offered me $25 for every client I refer to her practice. Can I accept?", "not_allowed", (FPS,)),
    ("My client's sister and I have started seeing each other. Is that a problem?", "not_allowed", (FPS,)),
    ("Is it ok to sign off on my own client's WRSP when my clinical consultant is on vacation?", "not_allowed", (DBH,)),

    # ---------------- depends ----------------
    ("hey so the mom i work with made me a little clay ornament for xmas, can i keep it or do i have to say no?", "depends", (FPS,)),
    ("Supervisor here. A CPSS on my team wants to go with a member to a baseball game, no goal attached, just a fun afternoon. Allowed?", "depends", (CPSS,)),
    ("Turns out my new client is my kid's soccer coach. Can I still work with him?", "depends", (FPS,)),
    ("Can I call my client's psychiatrist to ask why her dose was changed?", "depends", (PSS,)),
    ("Is it ok to let a student intern observe my sessions with a client?", "depends", (FPS,)),
    ("Can I tell my client's husband how she's doing in peer support?", "depends", (FPS, PSS, SDMI)),
    ("A client offered to mow my lawn in exchange for extra sessions since she can't afford them. Can I agree?", "depends", (FPS,)),
    ("Can I see a waiver member 14 units this week? She just lost her housing.", "depends", (SDMI,)),
    ("A few of our peer specialists want to do some sessions by video. Is telehealth ok?", "depends", (DBH, PSS)),
    ("My nephew just turned 19 and wants to apply as a peer support provider. Is he old enough?", "depends", (DBH, FPS)),
    ("I have a misdemeanor from a few years back. Can I still work as a peer specialist?", "depends", (PSS, FPS)),
    ("What happens if the parent won't put her signature on the WRSP?", "depends", (DBH,)),
    ("A grandmother I support wants to give me $20 as thanks, and she says it's a tradition in her culture. Can I accept?", "depends", (FPS,)),
    ("I want to start doing peer support as an independent contractor on the waiver. Do I need to line up my own clinical supervision?", "depends", (SDMI,)),

    # ---------------- info ----------------
    ("remind me how many people one peer can have on their caseload?", "info", (DBH,)),
    ("what's the min and max for a peer support group? running my first one next week", "info", (DBH,)),
    ("When is the first WRSP due for a brand new admit?", "info", (DBH,)),
    ("WRSP reviews: are those quarterly or what?", "info", (DBH, CPSS)),
    ("What kind of license does the clinical consultant for peer support need to have?", "info", (DBH,)),
    ("FPS here: how much clinical supervision am I supposed to get for the hours I work?", "info", (FPS,)),
    ("How many continuing ed hours per year does a certified peer on the SDMI waiver need?", "info", (SDMI,)),
    ("What subjects does the peer specialist training program have to cover?", "info", (PSS, SDMI, FPS)),
    ("Our agency is cleaning out old files. How many years after the last service do we have to hold on to client records?", "info", (FPS,)),
    ("When should a client be discharged from peer support?", "info", (PSS, DBH)),
    ("Who is eligible to be admitted to peer support services?", "info", (DBH, PSS)),
    ("A client just told me she's been saving up pills and plans to take them all tonight. What am I supposed to do?", "info", (FPS, DBH, PSS, SDMI)),
    ("What do I have to document when a client doesn't show up for a face to face visit?", "info", (DBH,)),
    ("Is there a yearly cap on peer support units for Idaho Medicaid members?", "info", (CPSS,)),
    ("What's the least amount of face to face time a peer support service needs?", "info", (DBH,)),
    ("Do I need a high school diploma to be a peer specialist?", "info", (PSS, CPSS, DBH)),
    ("I'm getting burned out. What do the standards say about looking after my own wellness?", "info", (FPS, PSS)),
    ("What does a client record have to contain at a minimum?", "info", (FPS,)),
    ("What's the difference between a family peer supporter and an adult peer specialist?", "info", (FPS,)),
    ("How many months of recovery do I need before I can get hired as a peer specialist?", "info", (PSS, CPSS, DBH, FPS)),
]

# Written after the engine changes, never tuned on.
FRESH = [
    # not_covered
    ("Can I bring my service dog with me when I visit a family?", "not_covered", ()),
    ("Is it okay to chew gum or drink a soda during a session?", "not_covered", ()),
    ("My client wants to follow my public art page on Instagram. It has nothing personal on it. Is there a social media policy about that?", "not_covered", ()),
    ("Can I get reimbursed for the parking garage when I go to the courthouse for a training?", "not_covered", ()),
    ("Do peer specialists have to carry their own liability insurance?", "not_covered", ()),
    ("Is it alright to keep a box of tissues and some snacks in my car for my own long days?", "not_covered", ()),
    ("Can I have a nose piercing as a CPSS?", "not_covered", ()),
    ("My client wants to pray the rosary with me before we start. Is that ok?", "not_covered", ()),
    ("Can I give a client a quick hug when she graduates from the program?", "not_covered", ()),
    ("Can I play board games with clients at the drop-in center?", "not_covered", ()),
    ("Is it ok to smoke a cigarette outside with a client during our walk?", "not_covered", ()),
    ("Does the agency pay for my gas when I use my car for work?", "not_covered", ()),
    ("Can I take my lunch break at the food court between visits?", "not_covered", ()),
    ("What's the rule on using my own laptop for agency work?", "not_covered", ()),
    # allowed
    ("She's never used the light rail. Can I ride it with her a few times so she learns how to get to her job?", "allowed", (CPSS,)),
    ("A parent I support wants help finding a support group for families of kids with autism. Can I help her find one?", "allowed", (DBH, FPS, PSS)),
    ("Can I tell my peer about my own relapse and what helped me get back on track?", "allowed", (CPSS, FPS, PSS)),
    ("Is it okay to help a member write down the questions he wants to ask his psychiatrist, and coach him on asking them himself?", "allowed", (PSS,)),
    ("Can I see clients in the evening after their work shift?", "allowed", (DBH, FPS)),
    # not_allowed
    ("My client's car broke down. Can I give her a lift to her job interview?", "not_allowed", (CPSS,)),
    ("One of our CPSS staff has been doing the client's laundry at the laundromat for her. Supervisor asking: is that in scope?", "not_allowed", (CPSS,)),
    ("Can I store my client's furniture in my garage while she's between apartments?", "not_allowed", (CPSS,)),
    ("A member asked me whether he should plead guilty to a misdemeanor. What should I tell him?", "not_allowed", (CPSS,)),
    ("mom wants to stop her daughter's ritalin over the summer and asked if that's ok. can i say yes?", "not_allowed", (FPS,)),
    ("Is it ok to accept a $100 Visa gift card from a family when their case closes?", "not_allowed", (FPS,)),
    ("I'm attracted to a parent I support. Can I ask her out for a drink?", "not_allowed", (FPS,)),
    ("My client sells Avon. Can I buy makeup from her?", "not_allowed", (FPS,)),
    ("Can I give my client $50 so she can pay her phone bill?", "not_allowed", (FPS,)),
    ("Her therapist keeps cancelling so can I just do the counseling part myself?", "not_allowed", (CPSS,)),
    ("Can I show up to visits after taking a Xanax that isn't prescribed to me?", "not_allowed", (FPS,)),
    # depends
    ("A client gave me a small succulent plant as a thank you. Can I keep it?", "depends", (FPS,)),
    ("Can I go to the gym with my client? She just likes the company, it's not something we're working on.", "depends", (CPSS,)),
    ("My new referral is a woman I know from my AA home group. Can I be her peer specialist?", "depends", (FPS,)),
    ("Would it be okay if I phoned her doctor to mention she's been really down lately?", "depends", (PSS,)),
    ("My supervisor wants to audio record my sessions for quality review. Is that allowed?", "depends", (FPS,)),
    # info
    ("how many families can I carry at one time?", "info", (DBH,)),
    ("How many people can be in a peer group at most?", "info", (DBH,)),
    ("What's the deadline for the first WRSP after someone is admitted?", "info", (DBH,)),
    ("How old do you have to be to be a family peer supporter?", "info", (FPS, DBH)),
    ("How many hours of training does the SDMI waiver require for peer specialists?", "info", (SDMI,)),
    ("If a mom tells me her husband is beating her kids, who do I have to report it to?", "info", (FPS,)),
]
