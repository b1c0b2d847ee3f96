import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** Reads CloudTrail log files from the trail's S3 bucket (backfill). */
export class S3LogFiles {
  constructor(private readonly client: S3Client) {}

  /** The object's bytes as stored (CloudTrail writes gzipped JSON); failures propagate. */
  async read(bucket: string, key: string): Promise<Uint8Array> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!out.Body) throw new Error(`s3://${bucket}/${key} has no body`);
    return out.Body.transformToByteArray();
  }
}
