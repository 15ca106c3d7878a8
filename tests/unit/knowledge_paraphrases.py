"""Hand-written paraphrase questions (not from the eval set) with expected verdict
and a source that should be cited (None for not_covered)."""

PARAPHRASES = [
    # transport
    ("Would it be alright to give my peer a lift home from group since the bus is so slow?", "not_allowed", "cpss-job-description"),
    ("Her medicaid cab keeps not showing up. Could I just take her to the clinic in my car?", "not_allowed", "cpss-job-description"),
    ("Is it in scope to coach a member on how to call and book his own non-emergency medical transport?", "allowed", "cpss-job-description"),
    ("I work as a parent partner. Can I help a dad line up a sitter and a ride so he can make his son's school meeting?", "allowed", "fps-toolkit"),
    # errands / tasks
    ("Can I drop off my client's housing application at the county office for him while he's at work?", "not_allowed", "cpss-job-description"),
    ("He's too depressed to go out, is it okay if I buy his groceries for him this week?", "not_allowed", "cpss-job-description"),
    ("Am I allowed to help a consumer schedule a checkup with her primary care doctor?", "allowed", "peer-support-services"),
    ("Can I go to the laundromat with my peer? Doing laundry on her own is one of the goals in her recovery plan.", "allowed", "cpss-job-description"),
    ("Can I take my client out for coffee just to chat? Nothing to do with her goals, she just likes company.", "depends", "cpss-job-description"),
    # childcare / family
    ("Can a family peer supporter babysit the toddler while mom goes to her own psychiatrist?", "not_allowed", "fps-toolkit"),
    ("As a parent mentor, should I be doing one-on-one sessions with the 15 year old daughter?", "not_allowed", "fps-toolkit"),
    ("Who is the family peer supporter supposed to be working with, the kid or the caregiver?", "info", "fps-toolkit"),
    # medication / diagnosis
    ("My peer wants to double up on his antidepressant because it isn't working. Can I say that sounds fine?", "not_allowed", "fps-toolkit"),
    ("Is it ok to suggest to a client that she try melatonin instead of her prescribed sleeping pill?", "not_allowed", "fps-toolkit"),
    ("She asked me to come with her and bring up her weight gain from the meds with her psychiatrist. Is that okay?", "allowed", "peer-support-services"),
    ("A dad asked whether I think his son is autistic. Can I give him my take?", "not_allowed", "fps-toolkit"),
    # legal
    ("Can I help my client figure out what to plead at his DUI arraignment?", "not_allowed", "cpss-job-description"),
    ("My peer wants me to speak for her as her representative at a custody hearing. Allowed?", "not_allowed", "cpss-job-description"),
    # possessions / gifts / money
    ("Can I keep my client's debit card in my desk so she doesn't spend all her money?", "not_allowed", "cpss-job-description"),
    ("A father I work with gave me a $50 gift card at Christmas. Can I keep it?", "not_allowed", "fps-toolkit"),
    ("My peer baked me cookies to say thanks. Is it ok to accept them?", "depends", "fps-toolkit"),
    ("Can I lend my client twenty bucks for gas until payday?", "not_allowed", "fps-toolkit"),
    ("A client offered to fix my car in exchange for our sessions. Can I barter like that?", "depends", "fps-toolkit"),
    # relationships
    ("I think I have feelings for one of my clients. Can I ask him out?", "not_allowed", "fps-toolkit"),
    ("Is it ok to start dating someone I used to serve? Services ended 8 months ago.", "not_allowed", "fps-toolkit"),
    ("My new referral turns out to be my neighbor. Can I still be her peer supporter?", "depends", "fps-toolkit"),
    ("Can I accept a friend request on Facebook from a client I'm currently working with?", "not_allowed", "fps-toolkit"),
    ("Is it appropriate to tell my clients about my own time in rehab?", "allowed", "cpss-job-description"),
    # duplication / scope
    ("Her therapist is on leave. Can I just do therapy sessions with her until the therapist gets back?", "not_allowed", "cpss-job-description"),
    ("Can I run a job skills training class for my peers?", "not_allowed", "cpss-job-description"),
    ("Can I help a guy on my caseload look for volunteer work and practice asking his boss for accommodations?", "allowed", "peer-support-services"),
    ("Could I help my peer locate an AA meeting she can walk to?", "allowed", "dbh-service-definition"),
    # safety
    ("A client told me his girlfriend's kid has bruises from him and asked me to keep it between us. What do I do, can I keep quiet?", "not_allowed", "fps-toolkit"),
    ("If someone I support says they want to end their life, who needs to be told?", "info", "fps-toolkit"),
    ("Can I tell my client's mother how her therapy is going?", "depends", "fps-toolkit"),
    ("Can I videotape our session for training purposes?", "depends", "fps-toolkit"),
    ("For how many years must client files be retained?", "info", "fps-toolkit"),
    ("Is it a problem if I see clients after having a couple of beers at lunch?", "not_allowed", "fps-toolkit"),
    # plans / limits
    ("What's the deadline for finishing a new client's wellness and recovery service plan?", "info", "dbh-service-definition"),
    ("How frequently does the WRSP have to be updated?", "info", "dbh-service-definition"),
    ("What are the required parts of a WRSP?", "info", "dbh-service-definition"),
    ("Who is supposed to sign off on the wellness and recovery plan?", "info", "dbh-service-definition"),
    ("What's the max caseload for a peer support provider?", "info", "dbh-service-definition"),
    ("What is the smallest number of participants a peer group can have?", "info", "dbh-service-definition"),
    ("Can I bill more than ten units in a week for a waiver member who is struggling?", "depends", "sdmi-waiver"),
    ("How many units can an Idaho member get in a calendar year?", "info", "cpss-job-description"),
    ("Can I do sessions over zoom with my client?", "depends", "dbh-service-definition"),
    ("Can I start meeting with a new referral before the clinician has done her assessment?", "not_allowed", "dbh-service-definition"),
    # staff requirements
    ("How often should an SDMI waiver peer specialist meet with their supervisor?", "info", "sdmi-waiver"),
    ("How many hours of clinical supervision does a family peer supporter need?", "info", "fps-toolkit"),
    ("How many CEUs does a certified peer support specialist need each year?", "info", "sdmi-waiver"),
    ("How long does the family peer support training course have to be?", "info", "fps-toolkit"),
    ("I'm 19. Can I become a family peer supporter in Montana?", "depends", "fps-toolkit"),
    ("How long do I have to be in recovery before I can work as a peer specialist?", "info", "peer-support-services"),
    # not covered
    ("Is there a dress code for peer specialists?", None, None),
    ("Can I wear jeans to work on home visits?", None, None),
    ("What's the agency policy on using my personal cell phone to text clients?", None, None),
    ("Do peer specialists get paid time off for holidays?", None, None),
]
